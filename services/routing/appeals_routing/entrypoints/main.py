"""``python -m appeals_routing.entrypoints.main``: run the routing service."""

from __future__ import annotations

from appeals_routing.bootstrap import build_app
from appeals_routing.config import RoutingSettings
from appeals_runtime.service import serve


def main() -> None:
    settings = RoutingSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
