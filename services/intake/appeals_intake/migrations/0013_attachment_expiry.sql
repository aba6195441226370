-- Uploaded files no submission named within ATTACHMENT_ORPHAN_TTL_S are removed: first marked
-- expiring (no submission can name them from then on), then their bytes deleted from the
-- store, then the rows. A sweep that stops half-way finishes on its next round.
ALTER TABLE attachments ADD COLUMN expiring boolean NOT NULL DEFAULT false;
CREATE INDEX attachments_unlinked ON attachments (uploaded_at) WHERE appeal_id IS NULL;
CREATE INDEX attachments_uploader ON attachments (uploaded_by, uploaded_at);
