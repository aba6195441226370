-- The address look-up reads the earliest appeals at one address of a category: with the
-- registration time in the index it stops after the first few instead of sorting them all.
DROP INDEX appeals_category_address;
CREATE INDEX appeals_category_address ON appeals (category, (lower(regexp_replace(address, '\s+', ' ', 'g'))),
    registered_at, registration_number) WHERE address IS NOT NULL;
CREATE INDEX appeals_category_lat_time ON appeals (category, lat, registered_at) WHERE lat IS NOT NULL;
