"""The e-mail adapter's composition root: the mailbox, SMTP, intake's attachments, the broker,
and its two loops (the INBOX's rounds; intake's refusals and the platform's replies)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import FastAPI

from appeals_mail import worker
from appeals_mail.adapters.intake import Attachments
from appeals_mail.adapters.mailbox import Mailbox
from appeals_mail.adapters.outgoing import Smtp
from appeals_mail.config import MailSettings
from appeals_mail.handlers import Ports
from appeals_runtime.clock import Clock
from appeals_runtime.edge import EdgeSpec, create_edge_app
from appeals_runtime.oidc import ServiceAccount
from appeals_runtime.publisher import KafkaPublisher
from appeals_runtime.settings import ServiceSettings


@dataclass
class MailAdapter:
    settings: MailSettings
    ports: Ports
    attachments: Attachments
    state: worker.State


@contextlib.asynccontextmanager
async def open_adapter(settings: ServiceSettings, clock: Clock) -> AsyncIterator[MailAdapter]:
    assert isinstance(settings, MailSettings)
    mailbox = Mailbox(host=settings.imap_host, port=settings.imap_port, user=settings.imap_user,
                      password=settings.required_secret("imap_password"), tls=settings.imap_tls,
                      registered=settings.mail_folder_registered, incomplete=settings.mail_folder_incomplete)
    account = ServiceAccount(issuer=settings.oidc_issuer, client_id=settings.mail_client_id,
                             client_secret=settings.required_secret("mail_client_secret"))
    attachments = Attachments(intake_url=settings.intake_url, account=account)
    smtp = Smtp(host=settings.smtp_host, port=settings.smtp_port, username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                tls=settings.smtp_tls, sender=settings.mail_address)
    publisher = KafkaPublisher(settings)
    await publisher.start()
    ports = Ports(mailbox, attachments, publisher, smtp, domain=settings.mail_address.rpartition("@")[2],
                  category=settings.mail_category, max_bytes=settings.mail_max_bytes)
    state = worker.State()
    tasks = [asyncio.create_task(worker.rounds(ports, settings.mail_poll_s, state, clock), name="mail-rounds"),
             asyncio.create_task(worker.replies(ports, settings, state, clock), name="mail-replies")]
    try:
        yield MailAdapter(settings, ports, attachments, state)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await publisher.stop()
        await attachments.close()


def build_app(settings: MailSettings | None = None) -> FastAPI:
    settings = settings or MailSettings()
    return create_edge_app(EdgeSpec(
        title="E-mail channel",
        description="Letters to the city's appeals address become appeals; the platform's replies go back in "
                    "their thread.",
        settings=settings,
        context=open_adapter,
        readiness=lambda adapter: {"mailbox": adapter.state.mailbox_ok, "intake": adapter.attachments.ready},
    ))
