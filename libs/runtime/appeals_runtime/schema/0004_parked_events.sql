-- What a service keeps of an event that came before the fact it builds on (Kafka orders nothing
-- across topics: an answer may reach a service before the appeal's registration). Parked under
-- its subject (the appeal id) and kind, taken back in arrival order once the fact is there
-- (appeals_runtime.parking).
CREATE TABLE parked_events (
    seq      bigserial PRIMARY KEY,
    subject  text NOT NULL,
    kind     text NOT NULL,
    args     jsonb NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX parked_events_subject ON parked_events (subject, seq);
