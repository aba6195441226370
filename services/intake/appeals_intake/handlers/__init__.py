"""Intake's use cases as plain async functions over a unit of work, by what they serve:
registering submissions, the operators' desk, attachments, citizens' verdicts and the status
read model; ``ports`` says what they need of the world. Entrypoints call them as
``handlers.<use case>``."""

from appeals_intake.domain.attachments import AttachmentRef
from appeals_intake.handlers.attachments import (attachment_for, delete_objects, expire_orphan_attachments,
                                                 upload_attachment)
from appeals_intake.handlers.operators import (caller_appeals, caller_status, change_prepared_answer,
                                               check_submission, prepared_answers)
from appeals_intake.handlers.ports import (AppealRepository, Conflict, ObjectStore, Outcome, Refused, Registered,
                                           Rejected, UnitOfWork)
from appeals_intake.handlers.registration import submit_appeals
from appeals_intake.handlers.status import (NOT_IN_TIMELINE, StatusView, appeal_status, authored_appeals,
                                            link_answer_photos, public_requests, record_progress, timeline_details)
from appeals_intake.handlers.verdicts import VerdictTaken, give_verdict, verdicts_from_channels

__all__ = ["NOT_IN_TIMELINE", "AppealRepository", "AttachmentRef", "Conflict", "ObjectStore", "Outcome", "Refused",
           "Registered", "Rejected", "StatusView", "UnitOfWork", "VerdictTaken", "appeal_status", "attachment_for",
           "authored_appeals", "caller_appeals", "caller_status", "change_prepared_answer", "check_submission",
           "delete_objects", "expire_orphan_attachments", "give_verdict", "link_answer_photos", "prepared_answers",
           "public_requests", "record_progress", "submit_appeals", "timeline_details", "upload_attachment",
           "verdicts_from_channels"]
