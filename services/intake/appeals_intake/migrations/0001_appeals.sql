CREATE TABLE appeals (
    appeal_id               uuid PRIMARY KEY,
    registration_number     text NOT NULL UNIQUE,
    channel                 text NOT NULL,
    social_network          text,
    channel_message_id      text NOT NULL,
    kind                    text NOT NULL,
    category                text NOT NULL,
    district                text,
    address                 text,
    text                    text NOT NULL,
    language                text NOT NULL,
    anonymous               boolean NOT NULL,
    reports_crime_or_threat boolean NOT NULL,
    citizen                 jsonb,          -- personal data: never logged
    submitted_at            timestamptz,
    registered_at           timestamptz NOT NULL,
    correlation_id          text,
    UNIQUE (channel, channel_message_id)
);

-- One row per year; the row lock serialises numbering, so numbers are unique and gapless.
CREATE TABLE registration_counters (
    year         int PRIMARY KEY,
    last_number  bigint NOT NULL
);

CREATE TABLE appeal_timeline (
    event_id     uuid PRIMARY KEY,
    appeal_id    uuid NOT NULL,
    event_type   text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    details      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX appeal_timeline_appeal ON appeal_timeline (appeal_id, occurred_at);
