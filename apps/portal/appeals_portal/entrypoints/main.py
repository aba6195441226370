"""``python -m appeals_portal.entrypoints.main``: run the citizen's portal."""

from __future__ import annotations

from appeals_portal.bootstrap import build_app
from appeals_portal.config import PortalSettings
from appeals_runtime.service import serve


def main() -> None:
    settings = PortalSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
