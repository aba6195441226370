-- The times (routing's receipt) of every answer the tracker heard of: an inspector's acceptance
-- stops the clock only for an answer the tracker knows, whoever could write the inspections
-- topic. An acceptance that comes before its answer waits (deferred_events) for it.
ALTER TABLE deadlines ADD COLUMN answer_times timestamptz[] NOT NULL DEFAULT '{}';
