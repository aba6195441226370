"""The e-mail channel's metrics (labels name outcomes, never a person or a letter)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

LETTERS = Counter("appeals_mail_letters_total", "Letters handed to intake, and letters held back",
                  ["outcome"])  # submitted, too_large, unreadable
MALFORMED_PARTS = Counter("appeals_mail_malformed_parts_total", "MIME parts that could not be read (the rest taken)")
REPLIES = Counter("appeals_mail_replies_total", "Letters sent in a citizen's thread", ["kind"])  # missing, too_large, platform
MAILBOX_DOWN = Counter("appeals_mail_mailbox_unreachable_total", "Rounds the mailbox could not be reached or refused")
SMTP_FAILED = Counter("appeals_mail_smtp_failures_total", "Replies the SMTP server did not take (tried again)")
DEAD_LETTERS = Counter("appeals_mail_dead_letters_total", "Malformed records parked on <topic>.dlq.mail")
WAITING = Gauge("appeals_mail_inbox_letters", "Letters in the INBOX (not yet registered) at the last round")
