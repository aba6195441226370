"""The services the launcher knows: name, module to run, default HTTP port."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceDef:
    name: str
    module: str
    http_port: int

    @property
    def database(self) -> str:
        return self.name.replace("-", "_")


SERVICES: tuple[ServiceDef, ...] = (
    ServiceDef("intake", "appeals_intake.entrypoints.main", 8001),
    ServiceDef("routing", "appeals_routing.entrypoints.main", 8002),
    ServiceDef("deadline-tracker", "appeals_deadlines.entrypoints.main", 8003),
    ServiceDef("notification", "appeals_notification.entrypoints.main", 8004),
    ServiceDef("inspection", "appeals_inspection.entrypoints.main", 8005),
)

#: Databases created by the stack: one per service of the platform, present or coming.
DATABASES: tuple[str, ...] = ("intake", "routing", "deadline_tracker", "notification", "inspection")
