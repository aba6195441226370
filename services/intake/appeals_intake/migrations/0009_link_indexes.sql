-- The re-appeal look-up reads, per key, the most recent appeal of one category and place.
CREATE INDEX citizen_marks_recent ON citizen_marks (kind, key_hash, category, place, registered_at DESC);
