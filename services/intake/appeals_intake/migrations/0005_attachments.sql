-- Files citizens attach (photos, documents): the bytes are in the object store under
-- storage_key; an image was stored without its metadata. appeal_id is set when a submission
-- names the file; until then it belongs to no appeal.
CREATE TABLE attachments (
    attachment_id  uuid PRIMARY KEY,
    appeal_id      uuid,
    content_type   text NOT NULL,
    size           bigint NOT NULL,
    sha256         text NOT NULL,
    storage_key    text NOT NULL,
    uploaded_by    text NOT NULL,   -- the uploader's subject or client: a pseudonymous id
    uploaded_at    timestamptz NOT NULL
);
CREATE INDEX attachments_appeal ON attachments (appeal_id) WHERE appeal_id IS NOT NULL;
