"""``python -m appeals_workspace.entrypoints.main``: run the executors' workspace."""

from __future__ import annotations

from appeals_runtime.service import serve
from appeals_workspace.bootstrap import build_app
from appeals_workspace.config import WorkspaceSettings


def main() -> None:
    settings = WorkspaceSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
