"""``python -m appeals_inspection.entrypoints.main``: run the inspection service."""

from __future__ import annotations

from appeals_inspection.bootstrap import build_app
from appeals_inspection.config import InspectionSettings
from appeals_runtime.service import serve


def main() -> None:
    settings = InspectionSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
