-- The prepared answers to consultations as staff changed them (the shipped ones are
-- appeals_contracts/data/prepared_answers.yaml; a row here overrides the shipped answer of its
-- code). Who changed it and when: the inspector's token's subject and the platform's clock.
CREATE TABLE prepared_answers (
    code        text PRIMARY KEY,
    topic       text NOT NULL,
    title       jsonb NOT NULL,
    body        jsonb NOT NULL,
    active      boolean NOT NULL,
    changed_by  text NOT NULL,
    changed_at  timestamptz NOT NULL
);
