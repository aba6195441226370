-- The whole case (text, place, contact, as the contracts carry it), handed on with every
-- assignment and served to the executor holding it. Personal data: never logged.
ALTER TABLE appeals ADD COLUMN appeal_case jsonb;

-- The legal due time as the deadline tracker announces it (scheduled, then extended). Its own
-- table: the deadline may be announced before routing has read the registration.
CREATE TABLE due_times (
    appeal_id  uuid PRIMARY KEY,
    due_at     timestamptz NOT NULL
);
