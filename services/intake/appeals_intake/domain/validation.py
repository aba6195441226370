"""Validation of a submission against the catalog and the contact rules."""

from __future__ import annotations

from dataclasses import replace

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from appeals_intake.domain import fields
from appeals_intake.domain.iin import iin_problem
from appeals_intake.domain.model import Catalog, Contact, Reason, SubmitAppeal


def validate(cmd: SubmitAppeal, catalog: Catalog) -> list[Reason]:
    """Every reason ``cmd`` cannot be registered; empty when it can."""
    reasons: list[Reason] = []

    def refuse(field: str, message: str) -> None:
        reasons.append(Reason(field, message))

    if cmd.channel not in catalog.channels:
        refuse("channel", f"unknown channel {cmd.channel!r}")
    elif cmd.author_subject is not None and cmd.channel not in catalog.self_service:
        refuse("channel", f"a citizen submits in person only through {', '.join(sorted(catalog.self_service))}")
    if cmd.channel == "social_network":
        if cmd.social_network not in catalog.social_networks:
            refuse("social_network", "social_network must name a known network for channel social_network")
    elif cmd.social_network is not None:
        refuse("social_network", "only allowed with channel social_network")
    if not cmd.channel_message_id.strip() or len(cmd.channel_message_id) > 200:
        refuse("channel_message_id", "must be 1-200 characters")
    if cmd.kind not in catalog.kinds:
        refuse("kind", f"unknown appeal kind {cmd.kind!r}")
    if cmd.category not in catalog.categories:
        refuse("category", f"unknown category {cmd.category!r}")
    if cmd.district is not None and cmd.district not in catalog.districts:
        refuse("district", f"unknown district {cmd.district!r}")
    if cmd.address is not None and len(cmd.address) > 500:
        refuse("address", "must be at most 500 characters")
    if cmd.location is not None:
        reasons += _place_reasons(cmd, catalog)
    reasons += [Reason(f, m) for f, m in fields.problems(catalog.fields.of(cmd.category), cmd.attributes)]
    text = cmd.text.strip()
    if not catalog.text_min <= len(text) <= catalog.text_max:
        refuse("text", f"must be {catalog.text_min}-{catalog.text_max} characters")
    if cmd.language not in catalog.languages:
        refuse("language", "must be one of kk, ru, en")
    reasons += _contact_reasons(cmd, catalog)
    reasons += _operator_reasons(cmd)
    return reasons


def _operator_reasons(cmd: SubmitAppeal) -> list[Reason]:
    """A consultation's answer and a knowing re-appeal link come from a signed-in operator."""
    reasons = []
    if cmd.consultation is not None:
        if cmd.kind != "consultation":
            reasons.append(Reason("consultation", "an answer given at once only with kind consultation"))
        if cmd.operator is None:
            reasons.append(Reason("consultation", "a consultation's answer is given by a signed-in operator"))
        if not cmd.consultation.answer.strip() or len(cmd.consultation.answer) > 4000:
            reasons.append(Reason("consultation.answer", "must be 1-4000 characters"))
        if cmd.consultation.reply_wanted and (cmd.anonymous or cmd.citizen is None or not (
                cmd.citizen.phone or cmd.citizen.email)):
            reasons.append(Reason("consultation.reply_wanted", "sending the answer needs a phone or an e-mail"))
    if cmd.re_appeal_of is not None and cmd.operator is None:
        reasons.append(Reason("re_appeal_of", "an earlier appeal is linked by a signed-in operator"))
    return reasons


def _place_reasons(cmd: SubmitAppeal, catalog: Catalog) -> list[Reason]:
    """The location must lie in the city (in a district, when boundaries are loaded) and, when
    a district is given too, in that district. The message never repeats the coordinates."""
    assert cmd.location is not None
    if problem := catalog.places.problem(cmd.location):
        return [Reason("location", f"the location {problem}")]
    found = catalog.places.district_of(cmd.location)
    if found is not None and cmd.district is not None and cmd.district in catalog.districts and found != cmd.district:
        return [Reason("district", f"the location lies in {found}, not in {cmd.district}: give one or the other")]
    return []


def _contact_reasons(cmd: SubmitAppeal, catalog: Catalog) -> list[Reason]:
    contact = cmd.citizen
    if cmd.anonymous:
        if contact is not None and not contact.is_empty():
            return [Reason("citizen", "an anonymous appeal carries no contact details")]
        return []
    if contact is None or contact.is_empty():
        return [Reason("citizen", "give the citizen's contact or mark the appeal anonymous")]
    reasons = _contact_field_reasons(contact, catalog)
    if not (contact.name and contact.name.strip()):
        reasons.append(Reason("citizen.name", "required unless the appeal is anonymous"))
    if cmd.channel not in catalog.replies_in_channel and not (contact.phone or contact.email):
        reasons.append(Reason("citizen", "a phone or an e-mail is needed to answer through this channel"))
    return reasons


def _contact_field_reasons(contact: Contact, catalog: Catalog) -> list[Reason]:
    reasons = []
    if contact.name is not None and len(contact.name) > 300:
        reasons.append(Reason("citizen.name", "must be at most 300 characters"))
    if contact.iin is not None and (problem := iin_problem(contact.iin)):
        reasons.append(Reason("citizen.iin", problem))
    if contact.phone is not None and normalise_phone(contact.phone) is None:
        reasons.append(Reason("citizen.phone", "not a valid phone number"))
    if contact.email is not None and normalise_email(contact.email) is None:
        reasons.append(Reason("citizen.email", "not a valid e-mail address"))
    if contact.preferred_language is not None and contact.preferred_language not in catalog.languages:
        reasons.append(Reason("citizen.preferred_language", "must be one of kk, ru, en"))
    return reasons


def normalised(cmd: SubmitAppeal, catalog: Catalog) -> SubmitAppeal:
    """A valid submission in canonical form: the district found from the location when it was
    not given, the phone in E.164, the e-mail address normalised. What is stored and published
    is this form."""
    if cmd.district is None and cmd.location is not None:
        cmd = replace(cmd, district=catalog.places.district_of(cmd.location))
    contact = cmd.citizen
    if contact is None:
        return cmd
    phone = normalise_phone(contact.phone) if contact.phone else contact.phone
    email = normalise_email(contact.email) if contact.email else contact.email
    return replace(cmd, citizen=replace(contact, phone=phone or contact.phone, email=email or contact.email))


def normalise_phone(phone: str) -> str | None:
    """E.164 form of a phone number (Kazakhstan by default), or ``None`` if invalid."""
    try:
        number = phonenumbers.parse(phone, "KZ")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(email: str) -> str | None:
    """Normalised e-mail address, or ``None`` if invalid (syntax only, no DNS look-up)."""
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        return None
