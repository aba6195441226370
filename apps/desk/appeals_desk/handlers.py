"""The desk's use cases over intake's API (:class:`IntakeApi`), with the operator's own token:
check a submission as it is typed, register it, read its confirmation out, find a caller's
earlier appeals, a caller's status. Plain async functions that say what happened; the pages
are the entrypoint's business."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from appeals_contracts.prepared_answers import PreparedAnswer
from appeals_desk.domain import form as forms
from appeals_runtime.forms import Detail
from appeals_runtime.i18n import Texts


@dataclass(frozen=True)
class Refused:
    """Intake said no: its status and its reasons (``field``, ``message``)."""

    status: int
    reasons: list[dict[str, str]]


@dataclass(frozen=True)
class Registered:
    number: str
    repeated: bool


class IntakeApi(Protocol):
    """What the use cases call (:class:`appeals_desk.adapters.intake.Intake`)."""

    async def check(self, body: dict[str, Any], *, bearer: str) -> list[dict[str, str]]: ...
    async def submit(self, body: dict[str, Any], *, bearer: str) -> Registered | Refused: ...
    async def caller_appeals(self, contact: dict[str, str | None], *,
                             bearer: str) -> list[dict[str, Any]] | Refused: ...
    async def caller_status(self, number: str, contact: dict[str, str | None], *,
                            bearer: str) -> dict[str, Any] | Refused | None: ...
    async def status(self, number: str, *, bearer: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Operator:
    """The signed-in operator: their subject and name at the IdP, and their access token."""

    subject: str
    name: str | None
    token: str


@dataclass(frozen=True)
class Form:
    """The form as posted: single values, lists (multi-value details), the category's details."""

    values: Mapping[str, str]
    lists: Mapping[str, Sequence[str]]
    details: Sequence[Detail]


@dataclass(frozen=True)
class NotTaken:
    """Not registered: sentences by form field."""

    errors: dict[str, str]


def _own_problems(form: Form, answers: Mapping[str, PreparedAnswer], t: Texts) -> dict[str, str]:
    """What the desk asks before intake does: a consultation is answered at once."""
    if form.values.get("kind") == "consultation" and forms.consultation(form.values, answers, t.language) is None:
        return {"answer": t("err_answer_needed")}
    return {}


def _body(form: Form, answers: Mapping[str, PreparedAnswer], t: Texts) -> dict[str, Any]:
    return forms.submission(form.values, form.lists, form.details, answers=answers, page_language=t.language)


async def check(intake: IntakeApi, who: Operator, form: Form, answers: Mapping[str, PreparedAnswer],
                t: Texts) -> dict[str, str]:
    """Every rule the submission breaks so far, in words by field (empty: it would register)."""
    reasons = await intake.check(_body(form, answers, t), bearer=who.token)
    return {**forms.refusals(reasons, t), **_own_problems(form, answers, t)}


async def register(intake: IntakeApi, who: Operator, form: Form, answers: Mapping[str, PreparedAnswer],
                   t: Texts) -> Registered | NotTaken:
    if problems := _own_problems(form, answers, t):
        return NotTaken(problems)
    outcome = await intake.submit(_body(form, answers, t), bearer=who.token)
    if isinstance(outcome, Refused):
        return NotTaken(forms.refusals(outcome.reasons, t))
    return outcome


def _settled(status: Mapping[str, Any]) -> bool:
    """The confirmation can be read out: the executor and the due date are known, or no
    executor will answer (a consultation answered, an appeal not routed)."""
    return (status.get("executor_code") is not None and status.get("due_at") is not None) or \
        status.get("status") in ("closed", "not_routed")


async def confirmation(intake: IntakeApi, who: Operator, number: str, *, wait_s: float,
                       sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                       clock: Callable[[], float] = time.monotonic) -> dict[str, Any] | None:
    """The registered appeal as staff see it, waiting up to ``wait_s`` for routing's executor and
    the deadline tracker's due date (they come through Kafka, a moment after registration)."""
    deadline = clock() + wait_s
    while True:
        status = await intake.status(number, bearer=who.token)
        if status is None or _settled(status) or clock() >= deadline:
            return status
        await sleep(0.25)


async def earlier_appeals(intake: IntakeApi, who: Operator, values: Mapping[str, str],
                          t: Texts) -> list[dict[str, Any]] | NotTaken:
    """The caller's earlier appeals, by the IIN, phone or e-mail the operator typed."""
    found = await intake.caller_appeals(forms.caller(values), bearer=who.token)
    if isinstance(found, Refused):
        return NotTaken(forms.refusals(found.reasons, t))
    return found


async def caller_status(intake: IntakeApi, who: Operator, values: Mapping[str, str],
                        t: Texts) -> dict[str, Any] | NotTaken | None:
    """The appeal's status when the caller confirmed who they are; ``None``: no such appeal for
    that caller (an unknown number looks the same)."""
    number = (values.get("number") or "").strip().upper()
    if not number:
        return NotTaken({"number": t("err_number")})
    found = await intake.caller_status(number, forms.caller(values), bearer=who.token)
    if isinstance(found, Refused):
        return NotTaken(forms.refusals(found.reasons, t))
    return found
