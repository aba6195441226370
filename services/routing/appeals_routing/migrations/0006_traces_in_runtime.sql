-- Appeals' traces are kept by the runtime (its traces table, every service alike).
INSERT INTO traces (subject, traceparent)
SELECT appeal_id::text, traceparent FROM appeals WHERE traceparent IS NOT NULL
ON CONFLICT (subject) DO NOTHING;
ALTER TABLE appeals DROP COLUMN traceparent;
