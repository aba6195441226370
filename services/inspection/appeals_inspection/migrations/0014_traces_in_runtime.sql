-- Answers' traces are kept by the runtime (its traces table, every service alike).
INSERT INTO traces (subject, traceparent)
SELECT answer_id::text, traceparent FROM answers WHERE traceparent IS NOT NULL
ON CONFLICT (subject) DO NOTHING;
ALTER TABLE answers DROP COLUMN traceparent;
