"""Events of the intake stage: submitted (by channel adapters), rejected, registered."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from appeals_contracts.base import Event


class CitizenContact(BaseModel):
    """Who the citizen is and how to reach them. Personal data: never logged or traced."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str | None = Field(None, description="Full name as the citizen gave it")
    iin: str | None = Field(None, description="Individual identification number, 12 digits with a check digit")
    phone: str | None = Field(None, description="Phone number in E.164 form, e.g. +77011234567")
    email: str | None = Field(None, description="E-mail address")
    preferred_language: str | None = Field(None, description="kk, ru or en")


class Location(BaseModel):
    """A point on the map, WGS 84 (EPSG:4326) degrees, as GPS and Open311 give it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    lat: float = Field(ge=-90, le=90, description="Latitude, degrees north")
    long: float = Field(ge=-180, le=180, description="Longitude, degrees east")


class AttachmentRef(BaseModel):
    """A file the citizen attached (a photo, a document), stored by intake. Fetched through
    intake's ``GET /v1/attachments/{attachment_id}`` by whoever may see the appeal; an image's
    location and device data were stripped before storage."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    attachment_id: UUID
    content_type: str = Field(description="image/jpeg, image/png or application/pdf")
    size: int = Field(ge=0, description="Bytes, as stored")
    sha256: str = Field(description="SHA-256 of the stored bytes, hex")


class ConsultationAnswer(BaseModel):
    """The answer an operator of the contact centre or the front office gave at once, on the
    call or at the desk: the consultation is registered closed with it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    answer: str = Field(min_length=1, max_length=4000, description="The answer as the citizen was given it: a "
                        "prepared answer's text in the citizen's language, or the operator's own words")
    prepared_answer: str | None = Field(None, max_length=100, description="The prepared answer's code "
                                        "(data/prepared_answers.yaml) when one was used")
    reply_wanted: bool = Field(False, description="The citizen wants the answer sent in their channel too")


class ConsultationGiven(ConsultationAnswer):
    """A consultation's answer as registered: who gave it comes from the operator's verified
    token, never from the submission."""

    answered_by: str = Field(description="The operator's subject at the city's IdP")
    answered_by_name: str | None = Field(None, description="The operator's name as the IdP gives it")


class AppealSubmitted(Event):
    """A channel adapter hands a new appeal to intake (topic ``appeals.intake.v1``).

    Schema version 2 names a social network through ``social_network`` with
    ``channel="social_network"``; version 1 payloads (the network as the channel) are
    upcast on read, see :mod:`appeals_contracts.upcasting`.
    """

    event_type: ClassVar[str] = "appeal.submitted"
    schema_version: ClassVar[int] = 2

    channel: str = Field(description="Channel code from data/channels.yaml")
    social_network: str | None = Field(None, description="Network name when channel is social_network")
    channel_message_id: str = Field(description="The adapter's own id of the message; (channel, id) is the idempotency key")
    kind: str = Field(description="Appeal kind code from data/appeal_kinds.yaml")
    category: str = Field(description="Category code from data/categories.yaml")
    district: str | None = Field(None, description="Almaty district code from data/districts.yaml")
    address: str | None = Field(None, description="Free-text address or place")
    location: Location | None = Field(None, description="Where the matter is, when the channel knows; must lie "
                                      "in the city. Without a district, intake finds it from the location")
    attributes: dict[str, str | list[str]] = Field(
        default_factory=dict, description="Extra details the category asks for (the `fields` of "
        "data/categories.yaml; Open311's attribute[code]): code → value, a list for a multivaluelist")
    text: str = Field(description="The appeal itself")
    attachments: list[UUID] = Field(default_factory=list, description="Files uploaded first to intake's "
                                    "POST /v1/attachments (at most 10), by their attachment_id")
    language: str = Field(description="Language of the text: kk, ru or en")
    anonymous: bool = Field(False, description="True when the citizen explicitly gives no contact")
    reports_crime_or_threat: bool = Field(False, description="Anonymous appeals are routed only when this is true")
    citizen: CitizenContact | None = Field(None, description="Contact details; required unless anonymous")
    submitted_at: AwareDatetime | None = Field(None, description="When the citizen sent it, if the channel knows")
    consultation: ConsultationAnswer | None = Field(
        None, description="With kind consultation, over HTTP from a signed-in operator only: the answer given at "
        "once; the appeal is registered closed with it")
    re_appeal_of: str | None = Field(
        None, max_length=40, description="The registration number of the caller's earlier appeal on the same "
        "matter, linked knowingly by the operator (over HTTP from a signed-in operator only)")


class RejectionReason(BaseModel):
    """One reason a submission was refused, naming the field it concerns."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    field: str = Field(description="Dotted path of the offending field, or '' for the whole submission")
    message: str = Field(description="Human-readable reason")


class AppealIntakeRejected(Event):
    """Intake refused a submission; the adapter tells the citizen why."""

    event_type: ClassVar[str] = "appeal.intake_rejected"

    channel: str
    channel_message_id: str
    reasons: tuple[RejectionReason, ...]
    rejected_at: AwareDatetime


class AppealRegistered(Event):
    """An appeal was registered and numbered. Carries what downstream services need,
    including contact details for notification (personal data: never logged)."""

    event_type: ClassVar[str] = "appeal.registered"

    appeal_id: UUID
    registration_number: str = Field(description="Human-readable, unique per year, e.g. OA-2026-00012345")
    channel: str
    social_network: str | None = None
    channel_message_id: str
    kind: str
    category: str
    district: str | None = Field(None, description="As submitted, or found from the location")
    address: str | None = None
    location: Location | None = None
    attributes: dict[str, str | list[str]] = Field(default_factory=dict)
    attachments: list[AttachmentRef] = Field(default_factory=list)
    text: str
    language: str
    anonymous: bool = False
    reports_crime_or_threat: bool = False
    citizen: CitizenContact | None = None
    submitted_at: AwareDatetime | None = None
    registered_at: AwareDatetime
    status_token: str | None = Field(None, description="Secret (at least 128 bits) that lets the citizen follow "
                                     "the appeal: for the in-channel reply only; never logged or stored in clear "
                                     "outside notification")
    consultation: ConsultationGiven | None = Field(None, description="A consultation answered at once by an "
                                                   "operator: registered closed with this answer")


class VerdictSubmitted(Event):
    """A channel adapter hands over the citizen's verdict on the accepted answer, as the
    citizen gave it in their channel (topic ``appeals.intake.v1``). The status token proves
    the citizen's right; a refusal comes back as ``appeal.intake_rejected``."""

    event_type: ClassVar[str] = "appeal.verdict_submitted"

    channel: str
    channel_message_id: str = Field(description="The adapter's id of the citizen's message; the idempotency key")
    registration_number: str
    status_token: str = Field(description="The appeal's status token (secret): never logged")
    resolved: bool = Field(description="Whether the citizen says the matter is resolved")
    rating: int | None = Field(None, ge=1, le=5, description="The citizen's rating of the answer, 1-5")
    submitted_at: AwareDatetime | None = None
    comment: str | None = Field(None, max_length=2000, description="The citizen's own words on the answer "
                                "(personal data: never logged)")


class CitizenVerdict(Event):
    """The citizen's verdict on the accepted answer (topic ``appeals.verdicts.v1``). "Not
    resolved" within the window reopens the appeal (routing announces ``appeal.reopened``)."""

    event_type: ClassVar[str] = "appeal.citizen_verdict"

    appeal_id: UUID
    registration_number: str
    answer_id: UUID = Field(description="The accepted answer the verdict is on")
    executor_code: str = Field(description="The executor whose answer it was")
    resolved: bool
    rating: int | None = Field(None, ge=1, le=5)
    given_at: AwareDatetime
    comment: str | None = Field(None, max_length=2000, description="The citizen's own words on the answer, for "
                                "the inspectors (personal data: never logged)")


class ReAppealLinked(Event):
    """The same citizen wrote again about the same matter (category and place) within the
    period: the appeal is a re-appeal of the earlier one (topic ``appeals.links.v1``). The
    citizen was recognised by keyed hashes; no personal data is here."""

    event_type: ClassVar[str] = "appeal.re_appeal_linked"

    appeal_id: UUID
    registration_number: str
    earlier_appeal_id: UUID
    earlier_registration_number: str
    matched_by: Literal["iin", "phone", "email"] = Field(description="What recognised the citizen (its keyed hash)")
    linked_by_operator: bool = Field(False, description="The operator named the earlier appeal knowingly, with "
                                     "the caller on the line (the caller's IIN, phone or e-mail is on both)")
    category: str
    linked_at: AwareDatetime


class DuplicateLinked(Event):
    """A new appeal may be a duplicate of an open one: the same category, registered within the
    window, within the category's radius or at the same address (topic ``appeals.links.v1``).
    Inspectors and the executor see the link; merging is theirs to decide."""

    event_type: ClassVar[str] = "appeal.duplicate_linked"

    appeal_id: UUID
    registration_number: str
    original_appeal_id: UUID
    original_registration_number: str
    matched_by: Literal["location", "address"]
    distance_m: float | None = Field(None, description="Metres between the two points, when matched by location")
    category: str
    linked_at: AwareDatetime
