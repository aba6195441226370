-- Executors' digests: the message that carried a notice, when it went in another one's digest
-- (that message's notification id is the digest's Message-ID). NULL: it went as itself.
ALTER TABLE deliveries ADD COLUMN sent_as uuid;
