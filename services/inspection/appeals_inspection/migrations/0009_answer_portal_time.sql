-- Assignments are looked up by appeal to check who may have answered it.
-- answers.submitted_at is the platform's time of the answer: routing's clock when it received
-- it (appeal.answered's received_at), which the queue's age, the scorecards and the weekly
-- report judge by. The portal's own time is kept beside it as information only.
ALTER TABLE answers ADD COLUMN portal_submitted_at timestamptz;
CREATE INDEX assignments_appeal ON assignments (appeal_id, executor_code);
