"""``python -m appeals_mail.entrypoints.main``: run the e-mail channel's adapter."""

from __future__ import annotations

from appeals_mail.bootstrap import build_app
from appeals_mail.config import MailSettings
from appeals_runtime.service import serve


def main() -> None:
    settings = MailSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
