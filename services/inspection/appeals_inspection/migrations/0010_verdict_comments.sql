-- The citizen's own words with a verdict (the portal's form), for the inspectors.
ALTER TABLE citizen_verdicts ADD COLUMN IF NOT EXISTS comment text;
