-- The extra details the category asked for (code → value), as submitted and checked.
ALTER TABLE appeals ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}';
