"""``python -m appeals_deadlines.entrypoints.main``: run the deadline tracker."""

from __future__ import annotations

from appeals_deadlines.bootstrap import build_app
from appeals_deadlines.config import DeadlineSettings
from appeals_runtime.service import serve


def main() -> None:
    settings = DeadlineSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
