"""Routing's unit of work: the routing repository plus the outbox (see appeals_runtime)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from appeals_contracts.events import CitizenVerdict, ExecutorAnswerSubmitted, ExecutorExtensionRequested
from appeals_routing.adapters import events, metrics
from appeals_routing.adapters.repository import PostgresRoutingRepository
from appeals_routing.domain.model import AppealState, Assignment, Employee
from appeals_runtime.unit_of_work import UnitOfWork


class PostgresUnitOfWork(UnitOfWork):
    routing: PostgresRoutingRepository

    def bind(self, conn: asyncpg.Connection) -> None:
        self.routing = PostgresRoutingRepository(conn)

    def assigned(self, state: AppealState, entry: Assignment, *, trace_context: object = None) -> None:
        """Assignments carry the executor in the ``ce_executor`` header so portals can filter
        without parsing the payload."""
        self.after_commit(metrics.ASSIGNMENTS.labels(entry.reason).inc)
        self.announce(events.assigned(state, entry), subject=state.appeal_id, time=entry.assigned_at,
                      extra_headers={"ce_executor": entry.executor}, trace_context=trace_context)  # type: ignore[arg-type]

    def not_routed(self, state: AppealState, reason: str, at: datetime, *, trace_context: object = None) -> None:
        self.after_commit(metrics.NOT_ROUTED.inc)
        self.announce(events.not_routed(state, reason, at), subject=state.appeal_id, time=at,
                      trace_context=trace_context)  # type: ignore[arg-type]

    def reopened(self, state: AppealState, entry: Assignment, verdict: CitizenVerdict) -> None:
        self.after_commit(metrics.ASSIGNMENTS.labels(entry.reason).inc)
        self.announce(events.reopened(state, entry, verdict), subject=state.appeal_id, time=entry.assigned_at,
                      extra_headers={"ce_executor": entry.executor})

    def assignee_changed(self, state: AppealState, employee: Employee, by: str, at: datetime) -> None:
        self.announce(events.assignee_changed(state, employee, by, at), subject=state.appeal_id, time=at,
                      extra_headers={"ce_executor": employee.executor_code})

    def answered(self, action: ExecutorAnswerSubmitted, received_at: datetime) -> None:
        self.announce(events.answered(action, received_at), subject=action.appeal_id, time=received_at)

    def extension_requested(self, action: ExecutorExtensionRequested, received_at: datetime) -> None:
        self.announce(events.extension_requested(action, received_at), subject=action.appeal_id, time=received_at)

    def action_rejected(self, action_id: UUID, appeal_id: UUID | None, executor: str | None, action_type: str,
                        reason: str, at: datetime) -> None:
        self.after_commit(metrics.ACTIONS_REJECTED.labels(action_type).inc)
        self.announce(events.action_rejected(action_id, appeal_id, executor, action_type, reason, at),
                      subject=appeal_id, time=at)
