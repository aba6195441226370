-- Re-appeals. citizen_marks: an appeal's citizen and place as keyed hashes (HMAC-SHA256 under
-- a key derived from STATUS_TOKEN_SECRET): never a plain IIN, phone, e-mail or address.
CREATE TABLE citizen_marks (
    appeal_id      uuid NOT NULL,
    kind           text NOT NULL,   -- iin, phone, email
    key_hash       text NOT NULL,
    category       text NOT NULL,
    place          text,            -- district:<code> or address:<keyed hash>
    registered_at  timestamptz NOT NULL,
    PRIMARY KEY (appeal_id, kind)
);
CREATE INDEX citizen_marks_lookup ON citizen_marks (kind, key_hash, registered_at);

CREATE TABLE re_appeals (
    appeal_id          uuid PRIMARY KEY,
    earlier_appeal_id  uuid NOT NULL,
    matched_by         text NOT NULL,
    linked_at          timestamptz NOT NULL
);
