-- Each recipient's queue has a head: its open (pending or sending) row written first. The
-- ledger marks a pending head, so the workers' claim reads due heads only; it used to walk
-- every due row and reject each one queued behind its head, and in a surge an executor has
-- thousands of those (the platform's costliest statement, docs/operations.md).
--
-- Who keeps the mark (adapters/repository.py): the writer marks a new pending row when no
-- open row of its recipient comes before it; recording outcomes marks the recipient's first
-- open row when it is pending and not yet marked. Both hold the recipient's transaction-level
-- advisory lock while they look, so each sees what the other committed.
ALTER TABLE deliveries ADD COLUMN head boolean NOT NULL DEFAULT false;
UPDATE deliveries d SET head = true
FROM (SELECT DISTINCT ON (recipient) notification_id, status FROM deliveries
      WHERE status IN ('pending', 'sending') ORDER BY recipient, queue_seq) first_open
WHERE d.notification_id = first_open.notification_id AND first_open.status = 'pending';
CREATE INDEX deliveries_due_heads ON deliveries (delivery_channel, next_attempt_at, queue_seq)
    WHERE status = 'pending' AND head;
