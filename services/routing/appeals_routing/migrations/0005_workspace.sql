-- The executors' workspace: the employee responsible for each appeal, the employees of each
-- executor who signed in, the answers with the inspectors' verdicts, the latest return's reason,
-- the deadline policy, and re-appeal links: what an executor's queue and case pages show.
ALTER TABLE appeals ADD COLUMN assignee_id text, ADD COLUMN assignee_name text, ADD COLUMN assignee_since timestamptz,
    ADD COLUMN returned_reason text, ADD COLUMN returned_comment text, ADD COLUMN returned_at timestamptz;
ALTER TABLE due_times ADD COLUMN policy_code text;

CREATE TABLE employees (
    executor_code  text NOT NULL,
    employee_id    text NOT NULL,
    name           text,
    head           boolean NOT NULL DEFAULT false,
    seen_at        timestamptz NOT NULL,
    PRIMARY KEY (executor_code, employee_id)
);

CREATE TABLE answers (
    answer_id      uuid PRIMARY KEY,
    appeal_id      uuid NOT NULL,
    executor_code  text NOT NULL,
    employee_id    text NOT NULL,
    employee_name  text,
    text           text NOT NULL,
    language       text NOT NULL,
    attachments    jsonb NOT NULL DEFAULT '[]',
    received_at    timestamptz NOT NULL,
    verdict        text,          -- accepted, returned (NULL: waiting for an inspector)
    reason_code    text,
    comment        text,
    decided_at     timestamptz
);
CREATE INDEX answers_by_appeal ON answers (appeal_id, received_at);

CREATE TABLE re_appeals (
    appeal_id          uuid PRIMARY KEY,
    earlier_appeal_id  uuid NOT NULL,
    matched_by         text NOT NULL
);
CREATE INDEX re_appeals_earlier ON re_appeals (earlier_appeal_id);
