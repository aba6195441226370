-- Citizens' verdicts on accepted answers: one per answer (the key makes a second one fail).
-- via: how it came (http, or the adapter's channel:message id, so a repeat is known).
CREATE TABLE verdicts (
    appeal_id  uuid NOT NULL,
    answer_id  uuid NOT NULL,
    resolved   boolean NOT NULL,
    rating     smallint CHECK (rating BETWEEN 1 AND 5),
    via        text NOT NULL,
    given_at   timestamptz NOT NULL,
    PRIMARY KEY (appeal_id, answer_id)
);
