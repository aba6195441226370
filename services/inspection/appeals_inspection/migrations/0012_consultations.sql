-- Consultations an operator answered at once at the contact centre or the front office: who
-- answered (the operator's subject and name from their verified token, as intake registered it)
-- and the prepared answer used, so the weekly report counts them by topic and operator.
ALTER TABLE appeals ADD COLUMN consulted_by text, ADD COLUMN consulted_by_name text, ADD COLUMN prepared_answer text;
CREATE INDEX appeals_consultations ON appeals (registered_at) WHERE consulted_by IS NOT NULL;
