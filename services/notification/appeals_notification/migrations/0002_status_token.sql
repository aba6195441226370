-- The citizen's status token, for the status link in the citizen's messages (a secret: never logged).
ALTER TABLE appeals ADD COLUMN status_token text;
