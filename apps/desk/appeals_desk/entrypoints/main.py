"""``python -m appeals_desk.entrypoints.main``: run the operators' desk."""

from __future__ import annotations

from appeals_desk.bootstrap import build_app
from appeals_desk.config import DeskSettings
from appeals_runtime.service import serve


def main() -> None:
    settings = DeskSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
