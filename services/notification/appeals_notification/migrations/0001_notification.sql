-- What notification knows of an appeal: only what its messages need. Contact details are
-- personal data: kept here, never logged, traced or put in metrics.
CREATE TABLE appeals (
    appeal_id            uuid PRIMARY KEY,
    registration_number  text,
    channel              text,
    social_network       text,
    channel_message_id   text,
    language             text,
    preferred_language   text,
    email                text,
    phone                text,
    category             text,
    district             text,
    executor_code        text,
    due_at               timestamptz,
    registered           boolean NOT NULL DEFAULT false
);

-- The delivery ledger: one row per (source event, audience, template); an audience of one
-- appeal is one recipient, so a redelivered event never sends twice.
CREATE TABLE deliveries (
    seq               bigserial UNIQUE,
    queue_seq         bigint,               -- order in the recipient's queue: when it was written
    notification_id   uuid PRIMARY KEY,
    source_event_id   uuid NOT NULL,
    source_type       text NOT NULL,
    appeal_id         uuid NOT NULL,
    audience          text NOT NULL,
    template          text NOT NULL,
    urgent            boolean NOT NULL,
    facts             jsonb NOT NULL,       -- what the source event adds to the appeal's facts
    status            text NOT NULL,        -- waiting (for the appeal's facts), pending, delivered, failed, skipped
    recipient         text,                 -- citizen:<appeal>, executor:<code>, inspectors:<group>
    delivery_channel  text,                 -- email, sms, outbound
    address           text,                 -- personal data for citizens
    language          text,
    subject           text,
    body              text,
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz,
    UNIQUE (source_event_id, audience, template)
);
-- The worker looks only at pending rows, heads of their recipient's queue first.
CREATE INDEX deliveries_pending ON deliveries (delivery_channel, next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_pending_recipient ON deliveries (recipient, queue_seq) WHERE status = 'pending';
CREATE SEQUENCE deliveries_queue_seq;
CREATE INDEX deliveries_waiting ON deliveries (appeal_id) WHERE status = 'waiting';
CREATE INDEX deliveries_appeal ON deliveries (appeal_id, seq);

-- Every attempt, for audit.
CREATE TABLE delivery_attempts (
    notification_id  uuid NOT NULL REFERENCES deliveries (notification_id),
    attempt          integer NOT NULL,
    at               timestamptz NOT NULL,
    outcome          text NOT NULL,         -- delivered, retry, failed
    error            text,
    PRIMARY KEY (notification_id, attempt)
);
