-- Who sent a submission over HTTP (the verified token's subject): an idempotency key belongs to
-- its caller, so a repeat of the key by anybody else is a conflict that reveals nothing.
ALTER TABLE appeals ADD COLUMN submitted_by text;
