-- Early events are parked by the runtime (its parked_events table, every service alike).
INSERT INTO parked_events (subject, kind, args)
SELECT appeal_id::text, kind, args FROM deferred_events ORDER BY seq;
DROP TABLE deferred_events;
