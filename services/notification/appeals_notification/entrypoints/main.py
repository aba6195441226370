"""``python -m appeals_notification.entrypoints.main``: run the notification service."""

from __future__ import annotations

from appeals_notification.bootstrap import build_app
from appeals_notification.config import NotificationSettings
from appeals_runtime.service import serve


def main() -> None:
    settings = NotificationSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
