"""``python -m appeals_intake.entrypoints.main``: run the intake service."""

from __future__ import annotations

from appeals_intake.bootstrap import build_app
from appeals_intake.config import IntakeSettings
from appeals_runtime.service import serve


def main() -> None:
    settings = IntakeSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
