"""Intake's own metrics: registrations and refusals by channel (a bounded label: a code of the
reference data, or ``other``)."""

from __future__ import annotations

from prometheus_client import Counter

from appeals_contracts.reference import load_reference

REGISTRATIONS = Counter("appeals_intake_registrations_total", "Appeals registered", ["channel"])
REJECTIONS = Counter("appeals_intake_rejections_total", "Submissions refused", ["channel"])


def channel_label(channel: str) -> str:
    return channel if channel in load_reference().channels else "other"
ORPHANS_REMOVED = Counter("appeals_intake_orphan_attachments_removed_total",
                          "Uploaded files no submission named within ATTACHMENT_ORPHAN_TTL_S, removed")
ORPHAN_DELETE_FAULTS = Counter("appeals_intake_orphan_attachment_delete_faults_total",
                               "Deletions of an orphan file's bytes the object store refused (tried again)")
