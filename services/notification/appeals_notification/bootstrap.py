"""Notification's composition root."""

from __future__ import annotations

import asyncio
from functools import partial

from fastapi import FastAPI

from appeals_contracts.reference import load_reference
from appeals_contracts.topics import REPLY_CHANNELS, outbound_topic
from appeals_notification.adapters import metrics
from appeals_notification.adapters.data_files import names_from, read_recipients
from appeals_notification.adapters.senders import SmsGatewaySender, SmtpSender
from appeals_notification.adapters.templates import Templates
from appeals_notification.adapters.unit_of_work import PostgresUnitOfWork
from appeals_notification.config import NotificationSettings
from appeals_notification.domain import digest
from appeals_contracts.languages import LANGUAGES
from appeals_notification.domain.outgoing import Sender
from appeals_notification.domain.table import TEMPLATES
from appeals_notification.entrypoints import consumers
from appeals_notification.entrypoints.http import router
from appeals_notification.handlers import Writer
from appeals_runtime.service import PollingWorker, ServiceSpec, create_app


def build_app(settings: NotificationSettings | None = None) -> FastAPI:
    settings = settings or NotificationSettings()
    reference = load_reference()
    templates = Templates(settings.templates_dir)
    templates.check_complete(TEMPLATES | {digest.TEMPLATE}, LANGUAGES)  # a missing template stops the start-up
    quiet_hours = settings.quiet_hours()
    writer = Writer(
        templates=templates,
        names=names_from(reference),
        recipients=read_recipients(settings.recipients_file, reference.executors.codes),
        replies_in_channel=frozenset(code for code, e in reference.channels.entries.items()
                                     if e.attributes.get("replies_in_channel")),
        default_language=settings.default_language,
        track_url=settings.track_url,
        verdict_days=settings.verdict_window_days,
        quiet_hours=quiet_hours,
        digest_period=settings.digest_policy().period,
    )
    senders: dict[str, Sender | None] = {
        "email": SmtpSender(host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
                            username=settings.smtp_username, password=settings.secret("smtp_password"),
                            tls=settings.smtp_tls,
                            timeout_s=settings.smtp_timeout_s, connections=settings.smtp_connections),
        "sms": SmsGatewaySender(url=settings.sms_gateway_url, token=settings.secret("sms_gateway_token"),
                                timeout_s=settings.sms_timeout_s, connections=settings.sms_connections),
        "outbound": None,
    }
    wake = {channel: asyncio.Event() for channel in senders}
    workers = [PollingWorker(f"deliver-{channel}",
                             partial(consumers.deliver, channel=channel, sender=sender, retry=settings.retry_policy(),
                                     quiet_hours=quiet_hours, batch_size=settings.delivery_batch_size,
                                     lease=settings.sending_lease(), in_doubt=settings.in_doubt_policy(channel),
                                     digests=settings.digest_policy() if channel == "email" else None,
                                     renderer=templates),
                             settings.delivery_poll_interval_s, wake[channel])
               for channel, sender in senders.items()]

    return create_app(ServiceSpec(
        title="Notification",
        description="Tells citizens, executors and inspectors what they need to know, in kk, ru or en, "
                    "by e-mail, SMS or a reply in the citizen's channel; every message in a delivery ledger.",
        settings=settings,
        migrations_package="appeals_notification.migrations",
        unit_of_work=PostgresUnitOfWork,
        publishes=(*(outbound_topic(c) for c in REPLY_CHANNELS), "notifications.delivery.v1"),
        sample=metrics.sample,
        subscriptions=consumers.subscriptions(writer, wake),
        routers=[router],
        workers=workers,
    ))
