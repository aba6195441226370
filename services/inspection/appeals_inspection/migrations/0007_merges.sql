-- A duplicate merged into its original: closed as merged (status 'merged'), never overdue.
ALTER TABLE appeals ADD COLUMN merged_into uuid, ADD COLUMN merged_at timestamptz;
CREATE INDEX appeals_merged_into ON appeals (merged_into) WHERE merged_into IS NOT NULL;
