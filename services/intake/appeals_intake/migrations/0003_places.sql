-- Where the matter is (WGS 84 degrees), when the channel knows: a citizen's home may be here,
-- so it is personal data like the address and never logged.
ALTER TABLE appeals ADD COLUMN lat double precision, ADD COLUMN long double precision;
-- Open311's request lists are bounded by registration date.
CREATE INDEX appeals_registered_at ON appeals (registered_at);
