CREATE TABLE executors (
    code               text PRIMARY KEY,
    kind               text NOT NULL,
    names              jsonb NOT NULL,
    active             boolean NOT NULL,
    directory_version  int NOT NULL
);

-- Every rule set ever loaded; the newest applies to new appeals, assignments keep theirs.
CREATE TABLE rule_sets (
    version                    int PRIMARY KEY,
    checksum                   text NOT NULL,
    anonymous_threat_executor  text NOT NULL,
    triage_executor            text NOT NULL,
    loaded_at                  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rules (
    rule_set_version  int NOT NULL REFERENCES rule_sets (version),
    rule_id           text NOT NULL,
    category          text,
    district          text,
    executor_code     text NOT NULL,
    active            boolean NOT NULL,
    PRIMARY KEY (rule_set_version, rule_id)
);

CREATE TABLE appeals (
    appeal_id            uuid PRIMARY KEY,
    registration_number  text NOT NULL,
    category             text NOT NULL,
    district             text,
    status               text NOT NULL,   -- assigned, answered, closed, not_routed
    executor_code        text,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appeals_open_by_executor ON appeals (executor_code, appeal_id) WHERE status IN ('assigned', 'answered');

CREATE TABLE assignments (
    id                     bigserial PRIMARY KEY,
    appeal_id              uuid NOT NULL REFERENCES appeals (appeal_id),
    executor_code          text NOT NULL,
    previous_executor_code text,
    reason                 text NOT NULL,
    rule_id                text,
    rule_set_version       int,
    note                   text,
    assigned_at            timestamptz NOT NULL
);
CREATE INDEX assignments_by_appeal ON assignments (appeal_id, id);
