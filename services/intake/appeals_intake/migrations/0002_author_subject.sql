-- The citizen's subject at the city's IdP, when the citizen submitted in person, signed in.
-- A pseudonymous id, not contact data; it lets the author follow the appeal with their token.
ALTER TABLE appeals ADD COLUMN author_subject text;
CREATE INDEX appeals_author ON appeals (author_subject, registered_at) WHERE author_subject IS NOT NULL;
