-- Possible duplicates: a new appeal linked to the earliest open appeal of its category nearby.
CREATE TABLE duplicate_links (
    appeal_id           uuid PRIMARY KEY,
    original_appeal_id  uuid NOT NULL,
    matched_by          text NOT NULL,   -- location or address
    distance_m          double precision,
    linked_at           timestamptz NOT NULL
);
CREATE INDEX appeals_category_registered ON appeals (category, registered_at);
