"""Routing's own metrics: assignments by reason, decisions not to route, refused executor actions."""

from __future__ import annotations

from prometheus_client import Counter

ASSIGNMENTS = Counter("appeals_routing_assignments_total", "Assignments made", ["reason"])
NOT_ROUTED = Counter("appeals_routing_not_routed_total", "Appeals left unassigned (inspectors route them)")
ACTIONS_REJECTED = Counter("appeals_routing_actions_rejected_total", "Executor actions refused", ["action_type"])
