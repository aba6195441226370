-- Possible duplicates intake found, so the executor sees them with the case.
CREATE TABLE possible_duplicates (
    appeal_id           uuid PRIMARY KEY,
    original_appeal_id  uuid NOT NULL,
    matched_by          text NOT NULL,
    distance_m          double precision
);
CREATE INDEX possible_duplicates_original ON possible_duplicates (original_appeal_id);
