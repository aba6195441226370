-- Two-phase delivery: a message is marked 'sending' (committed) before its provider is called,
-- and its outcome recorded after. A row still 'sending' after the lease is "in doubt": the
-- worker that sent it stopped before it could record the outcome (docs/notifications.md).
-- Statuses: waiting, pending, sending, delivered, failed, skipped, in_doubt.
ALTER TABLE deliveries ADD COLUMN sending_since timestamptz;
CREATE INDEX deliveries_sending ON deliveries (delivery_channel, sending_since) WHERE status = 'sending';
DROP INDEX deliveries_pending_recipient;
CREATE INDEX deliveries_open_recipient ON deliveries (recipient, queue_seq) WHERE status IN ('pending', 'sending');
