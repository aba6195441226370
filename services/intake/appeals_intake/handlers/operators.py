"""The operators' use cases: the prepared answers, a caller's earlier appeals and status, a check without registering."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from appeals_contracts.prepared_answers import PreparedAnswer, PreparedAnswersError, bundled, checked
from appeals_intake.domain import reappeals
from appeals_intake.domain.model import Catalog, Reason, SubmitAppeal
from appeals_intake.domain.status import summarize
from appeals_intake.domain.validation import validate
from appeals_intake.handlers.ports import Refused, UnitOfWork
from appeals_intake.handlers.status import StatusView


async def prepared_answers(uow: UnitOfWork, *, topics: frozenset[str]) -> list[PreparedAnswer]:
    """The prepared answers: the shipped ones, each overridden by staff's change of its code;
    by topic, then code. Retired ones (``active`` false) are in the list, marked."""
    found = dict(bundled(topics))
    for row in await uow.appeals.prepared_answers():
        found[row["code"]] = PreparedAnswer(row["code"], row["topic"], row["title"], row["text"], row["active"])
    return sorted(found.values(), key=lambda a: (a.topic, a.code))


async def change_prepared_answer(uow: UnitOfWork, item: Mapping[str, Any], *, topics: frozenset[str], by: str,
                                 now: datetime) -> PreparedAnswer | Refused:
    """A prepared answer added or changed by staff (``by``: their token's subject), checked like the
    shipped ones; 422 with the reason when it is not one."""
    try:
        answer = checked(item, topics=topics)
    except PreparedAnswersError as refused:
        return Refused(422, str(refused))
    await uow.appeals.put_prepared_answer(answer.as_json(), by, now)
    return answer


async def caller_appeals(uow: UnitOfWork, *, iin: str | None, phone: str | None, email: str | None,
                         token_secret: bytes, limit: int = 20) -> list[StatusView]:
    """A caller's earlier appeals, newest first, for the operator who has them on the line:
    found through the keyed hashes re-appeals are recognised by (an IIN, a phone in E.164, an
    e-mail), so no contact is searched in clear. Staff's view: the whole timeline."""
    keys = reappeals.caller_keys(reappeals.link_key(token_secret), iin=iin, phone=phone, email=email)
    if not keys:
        return []
    found = await uow.appeals.by_marks(keys, limit)
    timelines = await uow.appeals.timelines([a.appeal_id for a in found])
    return [StatusView(a, summarize(timelines.get(a.appeal_id, []))) for a in found]


async def caller_status(uow: UnitOfWork, registration_number: str, *, iin: str | None, phone: str | None,
                        email: str | None, token_secret: bytes) -> StatusView | None:
    """The appeal's status for an operator whose caller gave its number and confirmed who they
    are (an IIN, phone or e-mail the appeal carries, compared as keyed hashes); ``None`` for an
    unknown number and for a caller who did not confirm alike (an anonymous appeal: never)."""
    appeal = await uow.appeals.get_by_number(registration_number)
    key = reappeals.link_key(token_secret)
    mine = reappeals.marks(appeal, key) if appeal is not None else None
    given = set(reappeals.caller_keys(key, iin=iin, phone=phone, email=email))
    if appeal is None or mine is None or not given & set(mine.keys):
        return None
    return StatusView(appeal, summarize(await uow.appeals.timeline(appeal.appeal_id)))


def check_submission(cmd: SubmitAppeal, catalog: Catalog) -> list[Reason]:
    """Every reason ``cmd`` would be refused, without registering or counting anything: the
    operators' desk asks while the operator types. Files and a named earlier appeal are checked
    when it is submitted."""
    return validate(cmd, catalog)
