"""Settings from environment variables, with the same names in every service.

Every process reads the variables below (no prefix); the embedded launcher, Docker
Compose and the Helm chart set the same names. Standard ``OTEL_*`` variables configure
tracing (see :mod:`appeals_runtime.telemetry`).
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from appeals_runtime.auth import Verifier
from appeals_runtime.clock import Clock
from appeals_runtime.retry import RetryPolicy

if TYPE_CHECKING:
    from faststream.security import BaseSecurity


def _comma_separated(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _empty_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


#: A list given as ``a,b,c`` in the environment (empty: no items).
CommaList = Annotated[list[str], NoDecode, BeforeValidator(_comma_separated)]
#: A file or folder that may be left unset (empty: none, the bundled default is used).
OptionalPath = Annotated[Path | None, BeforeValidator(_empty_is_none)]
#: A name or code that may be left unset (empty: none).
OptionalName = Annotated[str | None, BeforeValidator(_empty_is_none)]
#: A secret that may be left unset; shown as ``**********`` in reprs and logs.
OptionalSecret = Annotated[SecretStr | None, BeforeValidator(_empty_is_none)]


class ServiceSettings(BaseSettings):
    """What every service needs to run. Defaults suit a local development machine."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    service_name: str = Field("appeals", description="SERVICE_NAME: consumer group, outbox source, span resource")
    database_url: str = Field("postgresql://postgres@127.0.0.1:5432/postgres", description="DATABASE_URL: the service's own database")
    db_pool_min_size: int = Field(2, description="DB_POOL_MIN_SIZE")
    db_pool_max_size: int = Field(10, description="DB_POOL_MAX_SIZE")

    kafka_bootstrap_servers: CommaList = Field(["127.0.0.1:9092"], description="KAFKA_BOOTSTRAP_SERVERS, comma-separated")
    kafka_enable_idempotence: bool = Field(True, description="KAFKA_ENABLE_IDEMPOTENCE: on for Apache Kafka; off for the embedded broker")
    kafka_security_protocol: str = Field("PLAINTEXT", description="KAFKA_SECURITY_PROTOCOL: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL")
    kafka_sasl_mechanism: str | None = Field(None, description="KAFKA_SASL_MECHANISM, e.g. SCRAM-SHA-512")
    kafka_sasl_username: str | None = Field(None, description="KAFKA_SASL_USERNAME")
    kafka_sasl_password: OptionalSecret = Field(None, description="KAFKA_SASL_PASSWORD")

    worker_stop_timeout_s: float = Field(20.0, description="WORKER_STOP_TIMEOUT_S: on shutdown, how long a background worker may take to finish its current step (a delivery in progress) before it is cancelled")
    consumer_max_records: int = Field(500, description="CONSUMER_MAX_RECORDS: largest batch handed to a handler")
    consumer_batch_timeout_ms: int = Field(100, description="CONSUMER_BATCH_TIMEOUT_MS: how long to wait to fill a batch")
    consumer_fetch_max_wait_ms: int = Field(500, ge=1, description="CONSUMER_FETCH_MAX_WAIT_MS: how long the broker may hold a fetch that found nothing (Apache Kafka answers as soon as a record arrives; the embedded broker only when this is over, so it runs with 100)")
    consumer_session_timeout_ms: int = Field(10_000, description="CONSUMER_SESSION_TIMEOUT_MS")
    consumer_heartbeat_interval_ms: int = Field(3_000, description="CONSUMER_HEARTBEAT_INTERVAL_MS: below a third of the session timeout")
    consumer_max_poll_interval_ms: int = Field(300_000, description="CONSUMER_MAX_POLL_INTERVAL_MS")
    retry_max_attempts: int = Field(5, description="RETRY_MAX_ATTEMPTS for a transient fault before the batch is re-read")
    retry_initial_backoff_s: float = Field(0.2, description="RETRY_INITIAL_BACKOFF_S, doubled per attempt")
    retry_max_backoff_s: float = Field(5.0, description="RETRY_MAX_BACKOFF_S")

    outbox_batch_size: int = Field(500, description="OUTBOX_BATCH_SIZE: rows per relay round")
    outbox_poll_interval_s: float = Field(1.0, description="OUTBOX_POLL_INTERVAL_S: fallback when no NOTIFY arrives")
    outbox_retention_s: float = Field(3600.0, description="OUTBOX_RETENTION_S: published rows kept this long for audit")

    http_host: str = Field("127.0.0.1", description="HTTP_HOST")
    http_port: int = Field(8000, description="HTTP_PORT")
    log_level: str = Field("INFO", description="LOG_LEVEL")
    oidc_issuer: str = Field("http://127.0.0.1:8090", description="OIDC_ISSUER: the OpenID Connect issuer whose tokens are accepted")
    oidc_audience: str = Field("open-appeals", description="OIDC_AUDIENCE: the audience tokens must name")
    oidc_jwks_url: OptionalName = Field(None, description="OIDC_JWKS_URL (default: from the issuer's discovery document)")
    oidc_algorithms: CommaList = Field(["RS256", "ES256"], description="OIDC_ALGORITHMS: signature algorithms accepted")
    oidc_roles_claim: str = Field("roles", description="OIDC_ROLES_CLAIM: where the roles are, dotted (e.g. realm_access.roles)")
    oidc_executor_claim: str = Field("executor_code", description="OIDC_EXECUTOR_CLAIM: the executor's code in an executor's token")
    api_docs: bool = Field(True, description="API_DOCS: serve /docs and /openapi.json")
    http_max_body_bytes: int = Field(1024 * 1024, ge=1, description="HTTP_MAX_BODY_BYTES: the largest request body "
                                     "any route reads (413 with the reason, before reading, above it); a service "
                                     "may allow more on its upload routes")
    metrics_public: bool = Field(False, description="METRICS_PUBLIC: /metrics without a token (else the sre role)")
    inbox_retention_s: float = Field(14 * 86400.0, description="INBOX_RETENTION_S: processed-event ids kept this "
                                                               "long; longer than Kafka's retention")
    clock_offset_s: float = Field(0.0, description="CLOCK_OFFSET_S: shifts the service's 'now' (tests and demos only)")

    def clock(self) -> Clock:
        """The service's clock (see :mod:`appeals_runtime.clock`)."""
        return Clock(self.clock_offset_s)

    def verifier(self) -> Verifier:
        """Verifies the bearer tokens of the configured issuer (see :mod:`appeals_runtime.auth`)."""
        return Verifier(issuer=self.oidc_issuer, audience=self.oidc_audience, jwks_url=self.oidc_jwks_url,
                        algorithms=tuple(self.oidc_algorithms), roles_claim=self.oidc_roles_claim,
                        executor_claim=self.oidc_executor_claim)

    def consumer_retry(self) -> RetryPolicy:
        """How a consumer retries a transient fault before it rewinds the batch."""
        return RetryPolicy(self.retry_max_attempts, self.retry_initial_backoff_s, self.retry_max_backoff_s)

    def kafka_client_options(self) -> dict[str, object]:
        """Connection options shared by producers, consumers and admin clients."""
        options: dict[str, object] = {
            "bootstrap_servers": list(self.kafka_bootstrap_servers),
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_sasl_mechanism:
            options.update(
                sasl_mechanism=self.kafka_sasl_mechanism,
                sasl_plain_username=self.kafka_sasl_username,
                sasl_plain_password=self._sasl_password(),
            )
        if (ssl_context := self._ssl_context()) is not None:
            options["ssl_context"] = ssl_context
        return options

    def _ssl_context(self) -> ssl.SSLContext | None:
        if not self.kafka_security_protocol.endswith("SSL"):
            return None
        from aiokafka.helpers import create_ssl_context

        context: ssl.SSLContext = create_ssl_context()
        return context

    def secret(self, name: str) -> str | None:
        """The value of the secret setting ``name`` (``None`` when unset), for the one client
        that needs it; never log it."""
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else None

    def required_secret(self, name: str, *, min_length: int = 1) -> str:
        """A secret the process cannot start without; a clear error names the setting."""
        value = self.secret(name)
        if not value or len(value) < min_length:
            raise ValueError(f"{name.upper()} must be set" + (f" (at least {min_length} characters)"
                                                              if min_length > 1 else ""))
        return value

    def _sasl_password(self) -> str | None:
        return self.secret("kafka_sasl_password")

    def faststream_security(self) -> BaseSecurity | None:
        """The same connection security, as FastStream's broker wants it."""
        from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

        ssl_context = self._ssl_context()
        if self.kafka_security_protocol.startswith("SASL"):
            kinds = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
            kind = kinds.get((self.kafka_sasl_mechanism or "PLAIN").upper())
            if kind is None:
                raise ValueError(f"KAFKA_SASL_MECHANISM must be one of {', '.join(kinds)}")
            return kind(username=self.kafka_sasl_username or "", password=self._sasl_password() or "",
                        ssl_context=ssl_context)
        return BaseSecurity(ssl_context=ssl_context) if ssl_context else None
