-- answers.submitted_at is the platform's time of the answer: routing's clock when it received
-- it (appeal.answered's received_at), which the queue's age, the scorecards and the weekly
-- report judge by. The portal's own time is kept beside it as information only.
ALTER TABLE answers ADD COLUMN portal_submitted_at timestamptz;
