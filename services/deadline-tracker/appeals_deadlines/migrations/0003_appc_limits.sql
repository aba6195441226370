-- The Code's (APPC 2021) further time limits. counted_from: the day the appeal counts as
-- registered on (Art. 64: after working hours or on a day off, the next working day).
-- forwarding_due_at: by when an appeal outside the executor's competence must be forwarded.
-- notice_due_at / notice_delivered_at: by when the applicant must be told of an extension,
-- and when the notice reached its provider.
ALTER TABLE deadlines
    ADD COLUMN counted_from date,
    ADD COLUMN forwarding_due_at timestamptz,
    ADD COLUMN notice_due_at timestamptz,
    ADD COLUMN notice_delivered_at timestamptz;
