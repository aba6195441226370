"""Inspection's write model, the same cases against the in-memory fake the handlers' tests use and
against its tables: every step is observed through the model's own reads (the appeal's state as
the rules read it, an answer as the review reads it, holders, links, merges), and both must
observe the same. The fake's rules are then the tables' rules, not a guess at them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from inspection_fakes import FakeReadModel

from appeals_devstack.testing import on_the_tables
from appeals_inspection.adapters.repository import PostgresReadModel
from appeals_inspection.domain.facts import AppealFactsChange, Registration
from appeals_inspection.domain.review import ArrivingAnswer

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
A, B, C, D, E = (uuid.UUID(int=n) for n in range(1, 6))
ANSWER_1, ANSWER_2, ANSWER_3, ANSWER_4 = (uuid.UUID(int=n) for n in range(11, 15))


def registration(number: int, category: str = "landscaping") -> Registration:
    return Registration(registration_number=f"OA-2026-{number:08d}", channel="portal", kind="complaint",
                        category=category, district="almaly", registered_at=T0, text="A bench is broken.",
                        language="ru", attributes={"bench_count": "2"})


def answer(answer_id: uuid.UUID, appeal_id: uuid.UUID, minutes: int) -> ArrivingAnswer:
    return ArrivingAnswer(answer_id=answer_id, appeal_id=appeal_id, executor_code="almaly_akimat", employee_id="e-7",
                          text="Repaired.", language="ru", submitted_at=T0 + timedelta(minutes=minutes))


async def _steps(model) -> list[object]:
    """What the model answers along an appeal's life and its neighbours'."""
    seen: list[object] = []
    await model.apply_facts([AppealFactsChange(A, registration(1), "almaly_akimat", T0 + timedelta(days=15)),
                             AppealFactsChange(B, executor_code="medeu_akimat"),  # no registration yet
                             AppealFactsChange(D, registration(4), "almaly_akimat"),
                             AppealFactsChange(E, registration(5, "roads"))])
    await model.apply_facts([AppealFactsChange(A, due_at=T0 + timedelta(days=10))])  # a due time only moves later
    await model.add_assignments([(uuid.UUID(int=101), A, "almaly_akimat", T0)])
    await model.add_assignments([(uuid.UUID(int=101), A, "medeu_akimat", T0)])  # the same event again: left alone
    seen += [await model.has_held(A, "almaly_akimat"), await model.has_held(A, "medeu_akimat")]
    seen += [await model.lock_appeal(A), await model.lock_appeal(B), await model.lock_appeal(C)]  # C: created open
    seen.append(await model.appeals_for_update([E, C, B, A]))  # registered ones only, in one order

    seen += [await model.add_answer(answer(ANSWER_1, A, 10)), await model.add_answer(answer(ANSWER_1, A, 10))]
    seen.append(await model.add_answer(answer(ANSWER_2, A, 20)))  # supersedes the waiting one
    seen.append(await model.add_answer(answer(ANSWER_3, A, 5), superseded=True))  # moot on arrival
    seen += [await model.answer_for_update(a) for a in (ANSWER_1, ANSWER_2, ANSWER_3, ANSWER_4)]

    accepted = await model.answer_for_update(ANSWER_2)
    await model.decide(ANSWER_2, "accepted", "insp-1", None, "", T0 + timedelta(hours=1))
    await model.close(accepted, T0 + timedelta(hours=1))
    seen += [await model.lock_appeal(A), await model.answer_for_update(ANSWER_2)]
    await model.reopen(A, ANSWER_2, "medeu_akimat", T0 + timedelta(days=1))
    seen.append(await model.lock_appeal(A))
    await model.reopen(A, ANSWER_2, "turksib_akimat", T0 + timedelta(days=2))  # once per accepted answer
    await model.reopen(E, ANSWER_4, "turksib_akimat", T0 + timedelta(days=2))  # an open appeal: nothing to reopen
    seen += [await model.lock_appeal(A), await model.lock_appeal(E)]

    await model.possible_duplicate(D, A, "location", 12.5, T0)
    await model.possible_duplicate(D, A, "text", None, T0)  # linked once
    seen += [await model.linked_as_duplicate(D, A), await model.linked_as_duplicate(A, D)]
    await model.merge(D, A, T0 + timedelta(hours=2))
    await model.not_routed(D)  # only an open appeal can turn out not routable
    seen += [await model.merged_into(A), await model.lock_appeal(D)]
    await model.unmerge(D)
    seen += [await model.merged_into(A), await model.lock_appeal(D)]
    await model.not_routed(E)
    await model.not_routed(C)  # a row created by an early event is open: it can
    seen += [await model.lock_appeal(E), await model.lock_appeal(C)]
    return seen


async def test_the_fake_and_the_tables_observe_the_same(inspection_database: str):
    fake = await _steps(FakeReadModel())
    assert fake[:2] == [True, False]
    assert fake[2].registration_number == "OA-2026-00000001" and fake[2].executor_code == "almaly_akimat"
    assert fake[3].registration_number is None and fake[3].executor_code == "medeu_akimat"
    assert fake[4].status == "open" and list(fake[5]) == [A, E]
    assert fake[6:10] == [True, False, True, True]
    assert [a.status for a in fake[10:13]] == ["superseded", "waiting", "superseded"] and fake[13] is None
    assert fake[14].status == "closed" and fake[14].accepted_at == T0 + timedelta(hours=1)
    assert fake[15].status == "accepted"
    assert fake[16].status == "open" and fake[16].executor_code == "medeu_akimat" and fake[16].accepted_at is None
    assert fake[17] == fake[16] and fake[18].status == "open"
    assert fake[19:21] == [True, False]
    assert fake[21] == [D] and fake[22].status == "merged" and fake[22].merged_into == A
    assert fake[23] == [] and fake[24].status == "open" and fake[24].merged_into is None
    assert fake[25].status == "not_routed"
    tables = await on_the_tables(inspection_database, PostgresReadModel, _steps)
    assert tables == fake
