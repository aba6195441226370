-- The staff console: what the answer's page shows of the appeal itself (no contact details:
-- inspection never stores who the citizen is), sign-ins in flight, sessions, and each
-- staff member's language.
ALTER TABLE appeals ADD COLUMN text text, ADD COLUMN language text, ADD COLUMN address text,
    ADD COLUMN lat double precision, ADD COLUMN long double precision, ADD COLUMN attributes jsonb,
    ADD COLUMN attachments jsonb;

-- An authorization request in flight: keyed by the SHA-256 of its state (the browser holds
-- the state in a cookie), with the PKCE verifier that redeems its code. Minutes old at most.
CREATE TABLE console_sign_ins (
    state_sha256   text PRIMARY KEY,
    code_verifier  text NOT NULL,
    created_at     timestamptz NOT NULL
);

-- A signed-in staff member: keyed by the SHA-256 of the cookie's value, so a copy of the
-- table does not sign anyone in. The access token is kept to fetch attachments from intake
-- on the user's behalf, and the session ends when it expires.
CREATE TABLE console_sessions (
    session_sha256  text PRIMARY KEY,
    subject         text NOT NULL,
    name            text,
    roles           text[] NOT NULL,
    executor_code   text,
    access_token    text NOT NULL,
    csrf_token      text NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

CREATE TABLE console_preferences (
    subject   text PRIMARY KEY,
    language  text NOT NULL
);
