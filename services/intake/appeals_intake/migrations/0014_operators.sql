-- The operators' desk: who took a submission at the contact centre or the front office (the
-- verified token's subject and name), a consultation's answer given at once, and the earlier
-- appeal the operator linked knowingly. The keyed hashes of citizen_marks find a caller's
-- earlier appeals: a lookup by key, newest first.
ALTER TABLE appeals ADD COLUMN operator text, ADD COLUMN operator_name text, ADD COLUMN consultation jsonb,
    ADD COLUMN re_appeal_of text;
