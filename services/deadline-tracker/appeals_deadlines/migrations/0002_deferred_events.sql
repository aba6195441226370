-- Events about an appeal whose registration this service has not applied yet. Kafka orders
-- nothing across topics: routing's "not routed" (or an answer, an acceptance, an extension
-- request) can reach the tracker before intake's registration does. They wait here and are
-- applied, in arrival order, right after the deadline is scheduled.
CREATE TABLE deferred_events (
    seq        bigserial PRIMARY KEY,
    appeal_id  uuid NOT NULL,
    kind       text NOT NULL,
    args       jsonb NOT NULL
);
CREATE INDEX deferred_events_appeal ON deferred_events (appeal_id, seq);
