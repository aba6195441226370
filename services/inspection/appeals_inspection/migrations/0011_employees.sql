-- Personal responsibility: the employee of the executor who took the appeal (or was given it
-- by the head), and each answer's employee by name with the photos of the completed work.
ALTER TABLE appeals ADD COLUMN assignee_id text, ADD COLUMN assignee_name text, ADD COLUMN assignee_executor text;
ALTER TABLE answers ADD COLUMN employee_name text, ADD COLUMN attachments jsonb;
CREATE INDEX answers_by_employee ON answers (executor_code, employee_id, submitted_at);
