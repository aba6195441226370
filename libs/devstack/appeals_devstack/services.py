"""The services and the people's applications the launcher knows: name, module to run,
default HTTP port."""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceDef:
    name: str
    module: str
    http_port: int
    settings: str  # "module:Class" of the service's settings, for docs checks

    def settings_class(self) -> type:
        module, _, name = self.settings.partition(":")
        return getattr(importlib.import_module(module), name)

    @property
    def database(self) -> str:
        return self.name.replace("-", "_")


SERVICES: tuple[ServiceDef, ...] = (
    ServiceDef("intake", "appeals_intake.entrypoints.main", 8001, "appeals_intake.config:IntakeSettings"),
    ServiceDef("routing", "appeals_routing.entrypoints.main", 8002, "appeals_routing.config:RoutingSettings"),
    ServiceDef("deadline-tracker", "appeals_deadlines.entrypoints.main", 8003, "appeals_deadlines.config:DeadlineSettings"),
    ServiceDef("notification", "appeals_notification.entrypoints.main", 8004,
               "appeals_notification.config:NotificationSettings"),
    ServiceDef("inspection", "appeals_inspection.entrypoints.main", 8005, "appeals_inspection.config:InspectionSettings"),
)

#: The people's applications (apps/): no database and no broker of their own; they call the
#: services' HTTP APIs.
APPS: tuple[ServiceDef, ...] = (
    ServiceDef("portal", "appeals_portal.entrypoints.main", 8006, "appeals_portal.config:PortalSettings"),
    ServiceDef("workspace", "appeals_workspace.entrypoints.main", 8007, "appeals_workspace.config:WorkspaceSettings"),
    ServiceDef("desk", "appeals_desk.entrypoints.main", 8008, "appeals_desk.config:DeskSettings"),
    ServiceDef("mail", "appeals_mail.entrypoints.main", 8009, "appeals_mail.config:MailSettings"),
)

#: Every process with HTTP routes and settings (the docs' route and setting tables cover them all).
EVERYTHING: tuple[ServiceDef, ...] = SERVICES + APPS

#: Databases created by the stack: one per service of the platform, present or coming.
DATABASES: tuple[str, ...] = ("intake", "routing", "deadline_tracker", "notification", "inspection")
