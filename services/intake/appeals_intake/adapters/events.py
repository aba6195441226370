"""Mapping between intake's domain objects and the contracts."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from uuid import UUID

from appeals_contracts.base import Event
from appeals_contracts.envelope import Envelope

from appeals_contracts.events import (
    AppealIntakeRejected,
    AppealRegistered,
    AppealSubmitted,
    AttachmentRef,
    CitizenContact,
    CitizenVerdict,
    ConsultationGiven,
    DuplicateLinked,
    Location,
    ReAppealLinked,
    RejectionReason,
    VerdictSubmitted,
)
from appeals_intake.domain import places
from appeals_intake.domain.model import Appeal, Consultation, Contact, Reason, SubmitAppeal
from appeals_intake.domain.duplicates import DuplicateLink
from appeals_intake.domain.reappeals import ReAppeal
from appeals_intake.domain.status import TimelineEntry
from appeals_intake.domain.verdict import Judged, VerdictGiven
from appeals_intake.handlers.status import timeline_details


def to_command(event: AppealSubmitted, *, correlation_id: str | None, context: object = None,
               author_subject: str | None = None, submitted_by: str | None = None,
               operator: tuple[str, str | None] | None = None) -> SubmitAppeal:
    """``operator``: the signed-in operator's (subject, name) from the verified token."""
    c, given = event.citizen, event.consultation
    return SubmitAppeal(
        channel=event.channel, channel_message_id=event.channel_message_id, kind=event.kind,
        category=event.category, text=event.text, language=event.language, social_network=event.social_network,
        district=event.district, address=event.address, anonymous=event.anonymous,
        location=places.Location(event.location.lat, event.location.long) if event.location else None,
        attributes={k: v if isinstance(v, str) else tuple(v) for k, v in event.attributes.items()},
        attachments=tuple(event.attachments),
        reports_crime_or_threat=event.reports_crime_or_threat,
        citizen=Contact(c.name, c.iin, c.phone, c.email, c.preferred_language) if c else None,
        submitted_at=event.submitted_at, correlation_id=correlation_id, context=context,
        author_subject=author_subject, submitted_by=submitted_by,
        operator=operator[0] if operator else None, operator_name=operator[1] if operator else None,
        consultation=Consultation(given.answer, given.prepared_answer, given.reply_wanted) if given else None,
        re_appeal_of=event.re_appeal_of,
    )


def registered(appeal: Appeal) -> AppealRegistered:
    s = appeal.submission
    return AppealRegistered(
        appeal_id=appeal.appeal_id, registration_number=appeal.registration_number, channel=s.channel,
        social_network=s.social_network, channel_message_id=s.channel_message_id, kind=s.kind,
        category=s.category, district=s.district, address=s.address, text=s.text, language=s.language,
        location=Location(lat=s.location.lat, long=s.location.long) if s.location else None,
        attributes={k: v if isinstance(v, str) else list(v) for k, v in s.attributes.items()},
        attachments=[AttachmentRef(attachment_id=r.attachment_id, content_type=r.content_type, size=r.size,
                                   sha256=r.sha256) for r in appeal.attachments],
        anonymous=s.anonymous, reports_crime_or_threat=s.reports_crime_or_threat,
        citizen=CitizenContact(**asdict(s.citizen)) if s.citizen else None,
        submitted_at=s.submitted_at, registered_at=appeal.registered_at, status_token=appeal.status_token,
        consultation=ConsultationGiven(answer=s.consultation.answer, prepared_answer=s.consultation.prepared_answer,
                                       reply_wanted=s.consultation.reply_wanted, answered_by=s.operator,
                                       answered_by_name=s.operator_name)
        if s.consultation is not None and s.operator is not None else None,
    )


def rejected(cmd: SubmitAppeal, reasons: list[Reason], at: datetime) -> AppealIntakeRejected:
    return AppealIntakeRejected(
        channel=cmd.channel, channel_message_id=cmd.channel_message_id,
        reasons=tuple(RejectionReason(field=r.field, message=r.message) for r in reasons), rejected_at=at,
    )


def verdict(appeal: Appeal, judged: Judged, resolved: bool, rating: int | None, at: datetime,
            comment: str | None = None) -> CitizenVerdict:
    return CitizenVerdict(appeal_id=appeal.appeal_id, registration_number=appeal.registration_number,
                          answer_id=judged.answer_id, executor_code=judged.executor_code, resolved=resolved,
                          rating=rating, given_at=at, comment=comment)


def duplicate(appeal: Appeal, link: DuplicateLink, at: datetime) -> DuplicateLinked:
    return DuplicateLinked(appeal_id=appeal.appeal_id, registration_number=appeal.registration_number,
                           original_appeal_id=link.original.appeal_id,
                           original_registration_number=link.original.registration_number,
                           matched_by=link.matched_by, distance_m=link.distance_m,
                           category=appeal.submission.category, linked_at=at)


def re_appeal(appeal: Appeal, link: ReAppeal, at: datetime) -> ReAppealLinked:
    return ReAppealLinked(appeal_id=appeal.appeal_id, registration_number=appeal.registration_number,
                          earlier_appeal_id=link.earlier.appeal_id,
                          earlier_registration_number=link.earlier.registration_number,
                          matched_by=link.matched_by, category=appeal.submission.category, linked_at=at,
                          linked_by_operator=link.knowingly)


def verdict_refused(channel: str, channel_message_id: str, reason: str, at: datetime) -> AppealIntakeRejected:
    return AppealIntakeRejected(channel=channel, channel_message_id=channel_message_id,
                                reasons=(RejectionReason(field="verdict", message=reason),), rejected_at=at)


def timeline_entry(envelope: Envelope, event: Event) -> tuple[UUID, TimelineEntry]:
    """Another service's event as a line of its appeal's timeline."""
    appeal_id: UUID = getattr(event, "appeal_id")  # every event of the timeline's topics is an appeal's
    details = timeline_details(envelope.type, event.model_dump(mode="json"))
    return appeal_id, TimelineEntry(str(envelope.id), envelope.type, envelope.time, details)


def verdict_given(event: VerdictSubmitted) -> VerdictGiven:
    return VerdictGiven(event.channel, event.channel_message_id, event.registration_number, event.status_token,
                        event.resolved, event.rating, event.comment)


def channel_key(channel: str, channel_message_id: str) -> str:
    """Key and subject of submissions and rejections: ``channel:channel_message_id``."""
    return f"{channel}:{channel_message_id}"
