-- Appeals forwarded after the forwarding time limit (appc_2021), charged to the executor that
-- held them too long; one row per late reassignment.
CREATE TABLE forwarding_breaches (
    appeal_id          uuid NOT NULL,
    forwarded_at       timestamptz NOT NULL,
    from_executor_code text NOT NULL,
    reported_at        timestamptz NOT NULL,
    PRIMARY KEY (appeal_id, forwarded_at)
);
CREATE INDEX forwarding_breaches_reported ON forwarding_breaches (reported_at);
