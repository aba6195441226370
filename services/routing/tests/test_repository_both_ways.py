"""Routing's repository, the same cases against the in-memory fake the handlers' tests use and
against its tables: every step is observed through the repository's own reads (the rules, the
directory, an appeal as the handlers lock it, an employee), and both must observe the same. The
fake's rules are then the tables' rules, not a guess at them."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from routing_fakes import FakeRouting

from appeals_devstack.testing import on_the_tables
from appeals_routing.adapters.data_files import bundled, bundled_directory, read_directory, read_rule_set
from appeals_routing.adapters.repository import PostgresRoutingRepository
from appeals_routing.domain.model import AppealState, Assignment, Directory, Employee, Rule

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
A, B, C = (uuid.UUID(int=n) for n in range(1, 4))
DIRECTORY = read_directory(bundled_directory())
RULE_SET, CHECKSUM = read_rule_set(bundled("rules.yaml"), DIRECTORY)
GONE = sorted(DIRECTORY.executors)[0]
NEXT_DIRECTORY = Directory(DIRECTORY.version + 1, {c: e for c, e in DIRECTORY.executors.items() if c != GONE})
#: The same rules, given out of order: the table reads them back by rule id.
SHUFFLED = replace(RULE_SET, version=RULE_SET.version + 1,
                   rules=(*RULE_SET.rules[1:], RULE_SET.rules[0], Rule("zz_extra", "almaly_akimat", "roads")))
FIRST = Assignment("almaly_akimat", "routing_rule", T0, rule_id="r1", rule_set_version=1)
SECOND = Assignment("medeu_akimat", "reassignment", T0 + timedelta(hours=1), previous_executor="almaly_akimat",
                    note="wrong district")
HEAD = Employee("almaly_akimat", "emp-1", "Данияр Оспанов", True)


async def _steps(repo) -> list[object]:
    seen: list[object] = []
    seen += [await repo.current_rule_set(), await repo.directory()]  # nothing loaded yet
    await repo.store_directory(DIRECTORY)
    await repo.store_rule_set(RULE_SET, CHECKSUM)
    seen += [await repo.directory(), await repo.current_rule_set(), await repo.rule_set_checksum(RULE_SET.version),
             await repo.rule_set_checksum(999)]
    await repo.store_directory(NEXT_DIRECTORY)  # one executor left the file: kept, inactive
    await repo.store_rule_set(SHUFFLED, "checksum-2")
    seen += [await repo.directory(), await repo.current_rule_set()]

    case = {"text": "A bench is broken.", "registered_at": T0.isoformat()}
    await repo.add_appeals([AppealState(A, "OA-2026-00000001", "landscaping", "almaly", "assigned", "almaly_akimat",
                                        (FIRST,), case=case),
                            AppealState(B, "OA-2026-00000002", "roads", None, "not_routed", None)])
    seen += [await repo.known([A, B, C]), await repo.get_for_update(A), await repo.get_for_update(B),
             await repo.get_for_update(C)]
    await repo.add_assignments([(A, SECOND)])
    await repo.set_status(A, "assigned", "medeu_akimat")
    await repo.set_due_times({A: (T0 + timedelta(days=15), "standard")})
    await repo.set_due_times({A: (T0 + timedelta(days=20), None)})  # extended: the policy stays
    seen.append(await repo.get_for_update(A))

    await repo.save_employee(HEAD, T0)
    await repo.save_employee(replace(HEAD, name="Данияр Оспанулы", head=False), T0 + timedelta(days=1))
    seen += [await repo.employee("almaly_akimat", "emp-1"), await repo.employee("medeu_akimat", "emp-1")]
    await repo.set_status(A, "assigned", "almaly_akimat")
    await repo.set_assignee(A, HEAD, T0)
    await repo.set_status(A, "answered", "almaly_akimat")  # the same executor: its employee stays responsible
    seen.append(await repo.get_for_update(A))
    await repo.set_status(A, "assigned", "medeu_akimat")  # another executor: nobody of it yet
    seen.append(await repo.get_for_update(A))
    return seen


async def test_the_fake_and_the_tables_observe_the_same(routing_database: str):
    fake = await _steps(FakeRouting())
    assert fake[0] is None and fake[1] == Directory(0, {})
    assert fake[2] == DIRECTORY and fake[3].rules == tuple(sorted(RULE_SET.rules, key=lambda r: r.rule_id))
    assert fake[4:6] == [CHECKSUM, None]
    assert fake[6].executors[GONE].active is False and fake[6].version == NEXT_DIRECTORY.version
    assert [r.rule_id for r in fake[7].rules] == sorted(r.rule_id for r in SHUFFLED.rules)
    assert fake[8] == {A, B} and fake[9].history == (FIRST,) and fake[9].case == {"text": "A bench is broken.",
                                                                                "registered_at": T0.isoformat()}
    assert fake[10].status == "not_routed" and fake[11] is None
    assert fake[12].history == (FIRST, SECOND) and fake[12].due_at == T0 + timedelta(days=20)
    assert fake[12].case is not None, "a new status keeps the appeal's case"
    assert fake[13].name == "Данияр Оспанулы" and fake[13].head is False and fake[14] is None
    assert fake[15].assignee_id == "emp-1" and fake[16].assignee_id is None
    tables = await on_the_tables(routing_database, PostgresRoutingRepository, _steps)
    assert tables == fake
