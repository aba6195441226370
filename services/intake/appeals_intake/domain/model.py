"""What intake works with: submissions, appeals, rejection reasons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from appeals_contracts.languages import LANGUAGES
from appeals_intake.domain.attachments import AttachmentRef
from appeals_intake.domain.fields import ServiceFields, Value

from appeals_intake.domain.places import Location, Places


@dataclass(frozen=True)
class Contact:
    name: str | None = None
    iin: str | None = None
    phone: str | None = None
    email: str | None = None
    preferred_language: str | None = None

    def is_empty(self) -> bool:
        return not any((self.name, self.iin, self.phone, self.email))


@dataclass(frozen=True)
class Consultation:
    """The answer an operator gave at once to a consultation (kind ``consultation``)."""

    answer: str
    prepared_answer: str | None = None
    reply_wanted: bool = False


@dataclass(frozen=True)
class SubmitAppeal:
    """A citizen's appeal as a channel hands it over (command)."""

    channel: str
    channel_message_id: str
    kind: str
    category: str
    text: str
    language: str
    social_network: str | None = None
    district: str | None = None
    address: str | None = None
    location: Location | None = None
    #: The extra details the category asks for (code → value), checked against its fields.
    attributes: Mapping[str, Value] = field(default_factory=dict)
    attachments: tuple[UUID, ...] = ()  # ids of files uploaded before (POST /v1/attachments)
    anonymous: bool = False
    reports_crime_or_threat: bool = False
    citizen: Contact | None = None
    submitted_at: datetime | None = None
    correlation_id: str | None = None
    #: The citizen's subject at the city's IdP when the citizen submitted in person, signed in
    #: (taken from the verified token, never from the body); they may then follow it by it.
    author_subject: str | None = None
    #: Who sent it over HTTP: the verified token's subject (``None`` on the Kafka topic, whose
    #: writers the broker's ACLs name). The idempotency key is (sender, channel, message id).
    submitted_by: str | None = None
    #: The signed-in operator of the contact centre or the front office who took it (the verified
    #: token's subject and name, never the body's): who answered a consultation, who linked a re-appeal.
    operator: str | None = None
    operator_name: str | None = None
    consultation: Consultation | None = None
    #: The registration number of the caller's earlier appeal the operator linked knowingly.
    re_appeal_of: str | None = None
    context: object = field(default=None, compare=False, repr=False)  # opaque: trace context of the caller

    @property
    def channel_key(self) -> tuple[str, str]:
        return (self.channel, self.channel_message_id)


@dataclass(frozen=True)
class Reason:
    """Why a submission is refused, naming the field."""

    field: str
    message: str


@dataclass(frozen=True)
class Appeal:
    """A registered appeal."""

    appeal_id: UUID
    registration_number: str
    registered_at: datetime
    submission: SubmitAppeal
    status_token: str | None = field(default=None, repr=False, compare=False)  # secret: the author's key
    attachments: tuple[AttachmentRef, ...] = ()  # the files of a new registration, for its event


@dataclass(frozen=True)
class Catalog:
    """The codes intake accepts, taken from the reference data."""

    channels: frozenset[str]
    kinds: frozenset[str]
    categories: frozenset[str]
    districts: frozenset[str]
    social_networks: frozenset[str]
    replies_in_channel: frozenset[str]
    self_service: frozenset[str] = frozenset()  # channels a signed-in citizen may submit through
    languages: frozenset[str] = frozenset(LANGUAGES)
    places: Places = field(default_factory=Places)
    fields: ServiceFields = field(default_factory=ServiceFields)
    duplicate_radius_m: Mapping[str, float] = field(default_factory=dict)  # by category; absent: no duplicates
    text_min: int = 10
    text_max: int = 10_000
