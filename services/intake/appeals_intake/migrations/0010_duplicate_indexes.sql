-- Possible-duplicate look-ups by point (a box on latitude within the category) and by the
-- normalised address, each an index range instead of a scan of the category's window.
CREATE INDEX appeals_category_lat ON appeals (category, lat) WHERE lat IS NOT NULL;
CREATE INDEX appeals_category_address ON appeals (category, (lower(regexp_replace(address, '\s+', ' ', 'g'))))
    WHERE address IS NOT NULL;
