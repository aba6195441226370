"""What a message needs: the appeal's facts, where it goes, and the template's variables.

A notice becomes a message only when everything it names is known: the appeal's
registration, its due time and, for notices that name the executor, the executor. Kafka
orders nothing across topics, so an assignment may arrive before the registration; such a
notice waits in the ledger and is written as soon as the facts are complete.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from appeals_contracts.languages import ALMATY, choose_language
from appeals_notification.domain.table import WITHOUT_DUE

#: Templates that name the executor: they wait until the executor is known.
NAMES_EXECUTOR = frozenset({"citizen.assigned", "citizen.answer_accepted", "inspectors.deadline_breached",
                            "citizen.reopened", "inspectors.appeal_reopened", "citizen.answer_shared"})


@dataclass(frozen=True)
class AppealFacts:
    """What notification keeps of an appeal (contact details are personal data)."""

    appeal_id: UUID
    registered: bool = False
    registration_number: str | None = None
    channel: str | None = None
    social_network: str | None = None
    channel_message_id: str | None = None
    language: str | None = None
    preferred_language: str | None = None
    email: str | None = None
    phone: str | None = None
    category: str | None = None
    district: str | None = None
    executor_code: str | None = None
    due_at: datetime | None = None
    status_token: str | None = field(default=None, repr=False)  # secret: goes only into the status link


@dataclass(frozen=True)
class Recipients:
    """Executors' and inspectors' addresses (data, not personal)."""

    executor_emails: Mapping[str, str]
    executor_language: str
    inspectors_group: str
    inspectors_email: str
    inspectors_language: str


@dataclass(frozen=True)
class Route:
    """Where one message goes and in which language. ``address`` is ``None`` for an
    in-channel reply (the channel adapter knows where to post)."""

    recipient: str
    delivery_channel: str  # email, sms or outbound
    address: str | None
    language: str


def executor_of(appeal: AppealFacts, facts: Mapping[str, Any]) -> str | None:
    return facts.get("executor_code") or appeal.executor_code


def due_of(appeal: AppealFacts, facts: Mapping[str, Any]) -> datetime | None:
    due = facts.get("due_at")
    return datetime.fromisoformat(due) if isinstance(due, str) else (due or appeal.due_at)


def is_ready(audience: str, template: str, appeal: AppealFacts, facts: Mapping[str, Any]) -> bool:
    """True when the message can be written now; otherwise it waits for more facts."""
    if not appeal.registered:
        return False
    if template in WITHOUT_DUE:
        return True
    if due_of(appeal, facts) is None:
        return False
    return executor_of(appeal, facts) is not None or (audience != "executor" and template not in NAMES_EXECUTOR)


def route(audience: str, appeal: AppealFacts, facts: Mapping[str, Any], recipients: Recipients,
          replies_in_channel: frozenset[str], default_language: str) -> Route | None:
    """Where the message goes; ``None`` when the citizen left no way to reach them."""
    if audience == "citizen":
        language = choose_language(appeal.preferred_language, appeal.language, default=default_language)
        recipient = f"citizen:{appeal.appeal_id}"
        if appeal.channel in replies_in_channel:
            return Route(recipient, "outbound", None, language)
        if appeal.email:
            return Route(recipient, "email", appeal.email, language)
        if appeal.phone:
            return Route(recipient, "sms", appeal.phone, language)
        return None
    if audience == "executor":
        code = executor_of(appeal, facts)
        address = recipients.executor_emails.get(code or "")
        return Route(f"executor:{code}", "email", address, recipients.executor_language) if address else None
    if audience == "inspectors":
        return Route(f"inspectors:{recipients.inspectors_group}", "email", recipients.inspectors_email,
                     recipients.inspectors_language)
    raise ValueError(f"unknown audience {audience!r}")


@functools.lru_cache(maxsize=4096)
def format_due(due: datetime) -> str:
    """The due instant as Almaty reads it: the end of the last day is ``24:00`` of that day.
    (Remembered: the appeals of a day share a few due instants, and the time-zone conversion
    and formatting were 2 % of notification in a surge.)"""
    local = due.astimezone(ALMATY)
    if (local.hour, local.minute) == (0, 0):
        return f"{(local - timedelta(days=1)):%d.%m.%Y} 24:00"
    return f"{local:%d.%m.%Y %H:%M}"


@dataclass(frozen=True)
class Names:
    """Names of coded things in one language, from the reference data."""

    executors: Mapping[str, Mapping[str, str]]
    categories: Mapping[str, Mapping[str, str]]
    districts: Mapping[str, Mapping[str, str]]
    return_reasons: Mapping[str, Mapping[str, str]]

    @staticmethod
    def name(table: Mapping[str, Mapping[str, str]], code: str | None, language: str) -> str:
        if not code:
            return ""
        names = table.get(code)
        return names[language] if names else code


def context(appeal: AppealFacts, facts: Mapping[str, Any], language: str, names: Names,
            track_url: str, *, verdict_days: int = 30) -> dict[str, Any]:
    """The template variables. Only known facts are set, so a template that names an
    unknown one fails to render instead of printing a blank."""
    due = due_of(appeal, facts)
    values: dict[str, Any] = {
        "registration_number": appeal.registration_number,
        "due_local": format_due(due) if due else None,
        "track_url": track_url.format(number=appeal.registration_number, token=appeal.status_token or ""),
        "category_name": names.name(names.categories, appeal.category, language),
        "district_name": names.name(names.districts, appeal.district, language),
        "verdict_days": verdict_days,
    }
    executor = executor_of(appeal, facts)
    if executor:
        values["executor_name"] = names.name(names.executors, executor, language)
    if "reason_code" in facts:
        values["reason_name"] = names.name(names.return_reasons, facts["reason_code"], language)
    for key in ("reason", "answer_text", "comment", "original_registration_number"):
        if key in facts:
            values[key] = facts[key]
    return {k: v for k, v in values.items() if v is not None}
