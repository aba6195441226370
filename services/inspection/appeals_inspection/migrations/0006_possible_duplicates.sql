-- Possible duplicates intake found (same category, nearby, open, within the window).
CREATE TABLE possible_duplicates (
    appeal_id           uuid PRIMARY KEY,
    original_appeal_id  uuid NOT NULL,
    matched_by          text NOT NULL,
    distance_m          double precision,
    linked_at           timestamptz NOT NULL
);
CREATE INDEX possible_duplicates_original ON possible_duplicates (original_appeal_id);
