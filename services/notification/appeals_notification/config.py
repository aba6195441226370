"""Notification's settings: the shared ones plus its own."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Literal

from pydantic import Field

from appeals_notification.domain.delivery import QuietHours, DeliveryBackoff
from appeals_notification.domain.digest import DigestPolicy
from appeals_runtime.settings import OptionalName, OptionalPath, OptionalSecret, ServiceSettings


class NotificationSettings(ServiceSettings):
    service_name: str = "notification"
    http_port: int = 8004
    default_language: Literal["kk", "ru", "en"] = Field(
        "ru", description="DEFAULT_LANGUAGE: when neither the citizen nor the appeal names one (kk, ru or en)")
    track_url: str = Field("http://127.0.0.1:8006/s/{number}/{token}",
                           description="TRACK_URL: the citizen's portal's status page, where a citizen follows the appeal; {number} and {token} "
                                       "(the appeal's status token) are replaced")
    verdict_window_days: int = Field(30, ge=1, description="VERDICT_WINDOW_DAYS: the days the answer's message gives "
                                     "the citizen to say whether the matter was resolved (set it as intake's)")
    templates_dir: OptionalPath = Field(None, description="TEMPLATES_DIR (default: bundled)")
    recipients_file: OptionalPath = Field(None, description="RECIPIENTS_FILE (default: bundled)")
    smtp_host: str = Field("localhost", description="SMTP_HOST")
    smtp_port: int = Field(25, description="SMTP_PORT")
    smtp_username: OptionalName = Field(None, description="SMTP_USERNAME (empty: no authentication)")
    smtp_password: OptionalSecret = Field(None, description="SMTP_PASSWORD")
    smtp_tls: str = Field("none", description="SMTP_TLS: none, starttls or tls")
    smtp_from: str = Field("noreply@open.almaty.example", description="SMTP_FROM")
    smtp_timeout_s: float = Field(10.0, description="SMTP_TIMEOUT_S")
    smtp_connections: int = Field(4, ge=1, description="SMTP_CONNECTIONS: SMTP sessions kept open and used at once")
    sms_gateway_url: str = Field("", description="SMS_GATEWAY_URL: the gateway's send endpoint")
    sms_gateway_token: OptionalSecret = Field(None, description="SMS_GATEWAY_TOKEN: sent as a bearer token")
    sms_timeout_s: float = Field(10.0, description="SMS_TIMEOUT_S")
    sms_connections: int = Field(8, ge=1, description="SMS_CONNECTIONS: keep-alive connections to the gateway, "
                                                      "and requests in flight at once")
    sms_quiet_hours: str = Field("22:00-08:00",
                                 description="SMS_QUIET_HOURS: Almaty hours when non-urgent SMS wait; empty: none")
    delivery_retry_initial_s: float = Field(5.0, description="DELIVERY_RETRY_INITIAL_S: first retry delay, doubled per attempt")
    delivery_retry_ceiling_s: float = Field(1800.0, description="DELIVERY_RETRY_CEILING_S: longest retry delay")
    delivery_max_attempts: int = Field(8, description="DELIVERY_MAX_ATTEMPTS: then the delivery failed")
    delivery_poll_interval_s: float = Field(1.0, description="DELIVERY_POLL_INTERVAL_S")
    delivery_batch_size: int = Field(200, ge=1, description="DELIVERY_BATCH_SIZE: messages claimed per channel and round")
    executor_digest_size: int = Field(50, ge=1, description="EXECUTOR_DIGEST_SIZE: an executor's non-urgent messages queued together go as one e-mail of at most this many (1: each alone)")
    executor_digest_period_s: float = Field(0.0, ge=0, description="EXECUTOR_DIGEST_PERIOD_S: how long such a message waits for others to join its digest (0: none; what is queued goes at once)")
    delivery_in_doubt_email: str = Field("at_most_once", description="DELIVERY_IN_DOUBT_EMAIL: an e-mail whose outcome is unknown after a crash (at_most_once: not sent again, left in doubt; at_least_once: sent again with the same Message-ID)")
    delivery_in_doubt_sms: str = Field("at_least_once", description="DELIVERY_IN_DOUBT_SMS: an SMS whose outcome is unknown after a crash (at_least_once: sent again with the same client message id, which the gateway deduplicates; at_most_once: left in doubt)")
    delivery_sending_lease_s: float | None = Field(None, description="DELIVERY_SENDING_LEASE_S: how long a message may stay 'sending' before it is in doubt (default: three times the longer send time-out, at least 60 s)")

    def in_doubt_policy(self, channel: str) -> str:
        policy = {"email": self.delivery_in_doubt_email, "sms": self.delivery_in_doubt_sms}.get(channel, "at_most_once")
        if policy not in ("at_least_once", "at_most_once"):
            raise ValueError(f"DELIVERY_IN_DOUBT_{channel.upper()} must be at_least_once or at_most_once")
        return policy

    def sending_lease(self) -> timedelta:
        seconds = self.delivery_sending_lease_s or max(60.0, 3 * max(self.smtp_timeout_s, self.sms_timeout_s))
        return timedelta(seconds=seconds)

    def digest_policy(self) -> DigestPolicy:
        return DigestPolicy(self.executor_digest_size, timedelta(seconds=self.executor_digest_period_s))

    def retry_policy(self) -> DeliveryBackoff:
        return DeliveryBackoff(timedelta(seconds=self.delivery_retry_initial_s), timedelta(seconds=self.delivery_retry_ceiling_s),
                           self.delivery_max_attempts)

    def quiet_hours(self) -> QuietHours | None:
        if not self.sms_quiet_hours.strip():
            return None
        start, _, end = self.sms_quiet_hours.partition("-")
        return QuietHours(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))

