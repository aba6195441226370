"""The citizen's verdict on an answer, from a signed-in page, a status token or a channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from appeals_intake.domain import verdict
from appeals_intake.domain.verdict import VerdictGiven
from appeals_intake.domain.model import Appeal
from appeals_intake.domain.status import TimelineEntry
from appeals_intake.handlers.ports import Refused, UnitOfWork
from appeals_intake.handlers.status import appeal_status


@dataclass(frozen=True)
class VerdictTaken:
    appeal: Appeal
    resolved: bool
    rating: int | None
    repeated: bool  # the same message again: nothing new recorded


async def give_verdict(uow: UnitOfWork, registration_number: str, *, resolved: bool, rating: int | None,
                       via: str, now: datetime, window: timedelta, token: str | None = None,
                       token_secret: bytes | None = None, author: str | None = None,
                       comment: str | None = None) -> VerdictTaken | Refused:
    """The citizen's verdict on the accepted answer, proven by the status token (or the author's
    own sign-in): recorded once per answer, announced, and kept in the timeline. 404 for an
    unknown number or a wrong token (alike), 409 when there is nothing to judge now."""
    view = await appeal_status(uow, registration_number, token=token, token_secret=token_secret, author=author)
    if view is None:
        return Refused(404, f"no appeal numbered {registration_number}")
    if rating is not None and not 1 <= rating <= 5:
        return Refused(422, "rating must be 1 to 5")
    judged = verdict.judged_answer(view.status, now=now, window=window)
    if isinstance(judged, str):
        return Refused(409, judged)
    earlier = await uow.appeals.add_verdict(view.appeal.appeal_id, judged.answer_id, resolved, rating, via, now)
    if earlier is not None:
        if earlier == via:  # the adapter's own message again
            return VerdictTaken(view.appeal, resolved, rating, repeated=True)
        return Refused(409, "a verdict on this answer was already given")
    event_id = uow.verdict(view.appeal, judged, resolved, rating, now, (comment or "").strip()[:2000] or None)
    await uow.appeals.add_timeline([(view.appeal.appeal_id, TimelineEntry(
        str(event_id), "appeal.citizen_verdict", now,
        {"answer_id": str(judged.answer_id), "resolved": resolved, "rating": rating}))])
    return VerdictTaken(view.appeal, resolved, rating, repeated=False)


async def verdicts_from_channels(uow: UnitOfWork, given: Sequence[VerdictGiven], *, token_secret: bytes,
                                 now: datetime, window: timedelta) -> None:
    """Verdicts adapters hand over from citizens' channels; each refusal is told back."""
    for g in given:
        outcome = await give_verdict(uow, g.registration_number, resolved=g.resolved, rating=g.rating,
                                     via=f"{g.channel}:{g.channel_message_id}", now=now, window=window,
                                     token=g.status_token, token_secret=token_secret, comment=g.comment)
        if isinstance(outcome, Refused):
            reason = "unknown appeal, or a wrong status token" if outcome.status == 404 else outcome.reason
            uow.verdict_refused(g.channel, g.channel_message_id, reason, now)
