-- The read model inspection keeps: one row per appeal, its assignments, its answers with
-- their verdicts, and escalations. Reports query these with indexes, never the event log.
CREATE TABLE appeals (
    appeal_id            uuid PRIMARY KEY,
    registration_number  text,
    channel              text,
    kind                 text,
    category             text,
    district             text,
    registered_at        timestamptz,
    executor_code        text,
    due_at               timestamptz,
    status               text NOT NULL DEFAULT 'open',  -- open, closed, not_routed
    accepted_answer_id   uuid,
    answered_by          text,         -- executor of the accepted answer
    answered_at          timestamptz,  -- when the accepted answer was submitted
    accepted_at          timestamptz   -- when the inspector accepted it
);
CREATE INDEX appeals_registered ON appeals (registered_at);
CREATE INDEX appeals_accepted ON appeals (accepted_at, answered_by);
CREATE INDEX appeals_due ON appeals (due_at);

CREATE TABLE assignments (
    event_id       uuid PRIMARY KEY,
    appeal_id      uuid NOT NULL,
    executor_code  text NOT NULL,
    assigned_at    timestamptz NOT NULL
);
CREATE INDEX assignments_executor ON assignments (assigned_at, executor_code);

CREATE TABLE answers (
    answer_id     uuid PRIMARY KEY,
    appeal_id     uuid NOT NULL,
    executor_code text NOT NULL,
    employee_id   text NOT NULL,
    text          text NOT NULL,
    language      text NOT NULL,
    submitted_at  timestamptz NOT NULL,
    status        text NOT NULL,  -- waiting, accepted, returned, superseded
    inspector_id  text,
    reason_code   text,
    comment       text,
    decided_at    timestamptz
);
CREATE INDEX answers_waiting ON answers (submitted_at) WHERE status = 'waiting';
CREATE INDEX answers_returned ON answers (decided_at, executor_code) WHERE status = 'returned';
CREATE INDEX answers_appeal ON answers (appeal_id, submitted_at);

-- The executor in charge and the employee who last answered are read at query time, so
-- an escalation names them whatever order the events came in.
CREATE TABLE escalations (
    appeal_id      uuid PRIMARY KEY,
    due_at         timestamptz NOT NULL,
    opened_at      timestamptz NOT NULL,
    closed_at      timestamptz
);
CREATE INDEX escalations_open ON escalations (opened_at) WHERE closed_at IS NULL;
