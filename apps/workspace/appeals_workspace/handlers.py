"""The workspace's use cases as plain async functions over the platform's APIs and the action
sender: an employee's answer (with photos), "not our competence", an extension request. Each
action names the employee from the session (the verified token), its time is the platform's
clock, and routing's decision is awaited a few seconds so the page can say what happened."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from appeals_contracts.base import Event
from appeals_contracts.events import (
    AttachmentRef,
    ExecutorAnswerSubmitted,
    ExecutorExtensionRequested,
    ExecutorReassignmentRequested,
)
from appeals_runtime.i18n import LANGUAGES

MAX_ANSWER = 20_000
MAX_REASON = 2_000


class Platform(Protocol):
    async def upload(self, data: bytes, content_type: str, *, bearer: str) -> Any: ...
    async def outcome(self, code: str, appeal_id: UUID, action_id: UUID, *, bearer: str) -> dict[str, Any]: ...


class Sender(Protocol):
    async def send(self, executor_code: str, action: Event, *, appeal_id: str, now: datetime) -> None: ...


@dataclass(frozen=True)
class Employee:
    """Who acts: from the session, which holds what the verified token said."""

    subject: str
    name: str | None
    executor_code: str
    token: str


@dataclass(frozen=True)
class Photo:
    data: bytes
    content_type: str


@dataclass(frozen=True)
class NotSent:
    """Nothing was sent: what is wrong, by field (``text``, ``reason``, ``photos``), as catalogue
    keys or ready sentences."""

    errors: dict[str, tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Sent:
    action_id: UUID
    state: str  # done, refused, pending
    reason: str = ""  # routing's words for a refusal
    attachments: list[str] = field(default_factory=list)


async def _decided(platform: Platform, who: Employee, appeal_id: UUID, action_id: UUID, *, wait_s: float,
                   pause: Callable[[float], Awaitable[None]]) -> Sent:
    waited = 0.0
    while True:
        found = await platform.outcome(who.executor_code, appeal_id, action_id, bearer=who.token)
        if found.get("state") in ("done", "refused") or waited >= wait_s:
            return Sent(action_id, str(found.get("state", "pending")), str(found.get("outcome", "")))
        await pause(0.2)
        waited += 0.2


async def _send(platform: Platform, sender: Sender, who: Employee, action: Any, *, now: datetime, wait_s: float,
                pause: Callable[[float], Awaitable[None]]) -> Sent:
    await sender.send(who.executor_code, action, appeal_id=str(action.appeal_id), now=now)
    return await _decided(platform, who, action.appeal_id, action.action_id, wait_s=wait_s, pause=pause)


async def answer(platform: Platform, sender: Sender, who: Employee, appeal_id: UUID, *, text: str, language: str,
                 photos: list[Photo], max_photos: int, photo_max_bytes: int, now: datetime, wait_s: float,
                 pause: Callable[[float], Awaitable[None]] = asyncio.sleep) -> Sent | NotSent:
    text = text.strip()
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    if not text or len(text) > MAX_ANSWER:
        errors["text"] = ("text_needed", {})
    if len(photos) > max_photos:
        errors["photos"] = ("too_many_photos", {"n": max_photos})
    elif any(len(p.data) > photo_max_bytes for p in photos):
        errors["photos"] = ("photo_refused", {"reason": f"> {photo_max_bytes // (1024 * 1024)} MB"})
    if errors:
        return NotSent(errors)
    refs = []
    for photo in photos:
        stored = await platform.upload(photo.data, photo.content_type, bearer=who.token)
        if not isinstance(stored, dict):
            return NotSent({"photos": ("photo_refused", {"reason": stored.reason})})
        refs.append(AttachmentRef(attachment_id=stored["attachment_id"], content_type=stored["content_type"],
                                  size=stored["size"], sha256=stored["sha256"]))
    action = ExecutorAnswerSubmitted(
        action_id=uuid.uuid4(), appeal_id=appeal_id, executor_code=who.executor_code, employee_id=who.subject,
        employee_name=who.name, text=text, language=language if language in LANGUAGES else "ru", attachments=refs,
        submitted_at=now)
    return await _send(platform, sender, who, action, now=now, wait_s=wait_s, pause=pause)


async def not_our_competence(platform: Platform, sender: Sender, who: Employee, appeal_id: UUID, *, reason: str,
                             suggested: str | None, now: datetime, wait_s: float,
                             pause: Callable[[float], Awaitable[None]] = asyncio.sleep) -> Sent | NotSent:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        return NotSent({"reason": ("reason_needed", {})})
    action = ExecutorReassignmentRequested(
        action_id=uuid.uuid4(), appeal_id=appeal_id, executor_code=who.executor_code, employee_id=who.subject,
        reason=reason, suggested_executor_code=suggested or None, requested_at=now)
    return await _send(platform, sender, who, action, now=now, wait_s=wait_s, pause=pause)


async def ask_extension(platform: Platform, sender: Sender, who: Employee, appeal_id: UUID, *, reason: str,
                        now: datetime, wait_s: float,
                        pause: Callable[[float], Awaitable[None]] = asyncio.sleep) -> Sent | NotSent:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        return NotSent({"extension": ("reason_needed", {})})
    action = ExecutorExtensionRequested(
        action_id=uuid.uuid4(), appeal_id=appeal_id, executor_code=who.executor_code, employee_id=who.subject,
        reason=reason, requested_at=now)
    return await _send(platform, sender, who, action, now=now, wait_s=wait_s, pause=pause)
