-- Citizens' verdicts on accepted answers (one per answer), charged to the executor whose
-- answer it was, and the reopenings "not resolved" caused.
CREATE TABLE citizen_verdicts (
    answer_id      uuid PRIMARY KEY,
    appeal_id      uuid NOT NULL,
    executor_code  text NOT NULL,
    resolved       boolean NOT NULL,
    rating         smallint,
    given_at       timestamptz NOT NULL
);
CREATE INDEX citizen_verdicts_given ON citizen_verdicts (given_at, executor_code);

CREATE TABLE reopenings (
    appeal_id           uuid NOT NULL,
    previous_answer_id  uuid NOT NULL,
    executor_code       text NOT NULL,   -- whose accepted answer the citizen found wanting
    reopened_at         timestamptz NOT NULL,
    PRIMARY KEY (appeal_id, previous_answer_id)
);
CREATE INDEX reopenings_at ON reopenings (reopened_at, executor_code);
