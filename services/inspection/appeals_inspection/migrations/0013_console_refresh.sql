-- A console session lasts its SESSION_HOURS while the IdP renews its access token: the refresh
-- token is kept beside the access token (both only here, never logged), and when the access
-- token runs out. A session without a refresh token ends with its access token, as before.
ALTER TABLE console_sessions ADD COLUMN refresh_token text, ADD COLUMN token_expires_at timestamptz;
