CREATE TABLE deadlines (
    appeal_id                 uuid PRIMARY KEY,
    policy_code               text NOT NULL,
    regime                    text NOT NULL,
    registered_at             timestamptz NOT NULL,
    due_at                    timestamptz NOT NULL,
    extended                  boolean NOT NULL DEFAULT false,
    status                    text NOT NULL,        -- open, closed, not_routed
    last_answer_submitted_at  timestamptz,
    on_time                   boolean,
    closed_at                 timestamptz
);

-- One row per timer; (appeal, kind, due time, fire time) is unique, so a timer can be
-- written twice (a redelivered event) but exists, and fires, once.
CREATE TABLE timers (
    appeal_id  uuid NOT NULL,
    kind       text NOT NULL,                       -- reminder, breach
    due_at     timestamptz NOT NULL,
    fire_at    timestamptz NOT NULL,
    fired_at   timestamptz,
    PRIMARY KEY (appeal_id, kind, due_at, fire_at)
);
-- The sweep reads only due, unfired rows: its cost follows the due batch, not the open appeals.
CREATE INDEX timers_due ON timers (fire_at) WHERE fired_at IS NULL;
