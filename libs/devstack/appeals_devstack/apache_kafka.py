"""Apache Kafka on loopback, as production runs it: a three-node KRaft cluster (each node broker
and controller), replication factor 3, ``min.insync.replicas=2``, clients only over SASL_SSL
with SCRAM-SHA-512 (one principal per service, adapter and portal, certificates made at
start), and the ACLs ``appeals-stack acls`` generates, which Strimzi gets too.

The jars come from Maven Central through the project's ``deploy/kafka/pom.xml`` (``mvn
dependency:copy-dependencies``), pinned, cached under the state folder: nothing is downloaded
when they are there. Each node also listens on a loopback PLAINTEXT listener for the brokers'
own traffic and the set-up (its principal ``ANONYMOUS`` is the super user, as in compose): on a
shared machine, anyone local could use it; a city's cluster has no such listener
(docs/security.md)."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from appeals_devstack.children import die_with_parent
from appeals_devstack.kafka_acls import OPERATOR, PREFIX, Acl, principals
from appeals_devstack.kafka_tls import write_broker_tls
from appeals_devstack.maven import copy_dependencies
from appeals_devstack.ports import free_port

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
POM = ROOT / "deploy" / "kafka" / "pom.xml"
#: Principals beyond the ACL table: the set-up's topic creator (Create, Describe on the
#: platform's prefixes, as in compose).
TOPIC_ADMIN = PREFIX + "topic-admin"
#: Kafka's own command-line tools an SRE reaches for, by their ``bin/*.sh`` names: the class
#: each script runs, and the option that names the client's settings file.
TOOLS: dict[str, tuple[str, str]] = {
    "kafka-consumer-groups": ("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--command-config"),
    "kafka-console-consumer": ("org.apache.kafka.tools.consumer.ConsoleConsumer", "--consumer.config"),
    "kafka-acls": ("org.apache.kafka.tools.AclCommand", "--command-config"),
    "kafka-topics": ("org.apache.kafka.tools.TopicCommand", "--command-config"),
    "kafka-metadata-quorum": ("org.apache.kafka.tools.MetadataQuorumCommand", "--command-config"),
}


def kafka_version(pom: Path = POM) -> str:
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom.read_text("utf-8"))
    if not match:
        raise RuntimeError(f"{pom} pins no kafka.version")
    return match.group(1)


def kafka_jars(state_dir: Path | None = None, pom: Path = POM) -> Path:
    """The folder of Apache Kafka's jars for the pinned version, fetched once with Maven into
    ``state_dir`` (the repository's ``.state`` by default, shared by every stack)."""
    state_dir = state_dir or ROOT / ".state"
    version = kafka_version(pom)
    # Keyed by the pom's content too: a dependency added there is fetched, not missed.
    pinned = hashlib.sha256(pom.read_bytes()).hexdigest()[:8]
    libs = state_dir / "kafka" / f"{version}-{pinned}" / "libs"
    if (libs / f"kafka_2.13-{version}.jar").exists():
        return libs
    partial = libs.with_name(f"libs.partial-{uuid.uuid4().hex[:6]}")
    copy_dependencies(pom, state_dir, partial, "-DincludeScope=runtime", what="Apache Kafka's jars")
    partial.rename(libs)
    return libs


@dataclass
class Node:
    node_id: int
    external: int  # SASL_SSL, for clients
    internal: int  # PLAINTEXT on loopback: the brokers' own traffic and the set-up
    controller: int
    directory: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def properties(self) -> Path:
        return self.directory / "server.properties"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class ApacheKafkaCluster:
    """Three nodes under ``directory`` (data kept between starts: the cluster id, the ports and
    the users are remembered); ``passwords`` of every principal are made once."""

    def __init__(self, directory: Path, jars: Path, *, nodes: int = 3, heap_mb: int = 384) -> None:
        self.directory = directory
        self.jars = jars
        self.heap_mb = heap_mb
        self.tls = write_broker_tls(directory / "tls", hosts=("localhost",))
        self.acls: dict[str, list[Acl]] = principals()
        self.acls[TOPIC_ADMIN] = [Acl("topic", "appeals.", "prefix", ("Create", "Describe")),
                                  Acl("topic", "notifications.", "prefix", ("Create", "Describe"))]
        self.passwords = self._passwords(list(self.acls))
        self.cluster_id = self._remembered("cluster-id", lambda: _cluster_id())
        ports = self._remembered("ports", lambda: " ".join(str(free_port()) for _ in range(3 * nodes)))
        numbers = [int(p) for p in ports.split()]
        self.nodes = [Node(i + 1, numbers[3 * i], numbers[3 * i + 1], numbers[3 * i + 2], directory / f"node-{i + 1}")
                      for i in range(nodes)]

    # -- what clients need ---------------------------------------------------------------------
    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"localhost:{n.external}" for n in self.nodes)

    @property
    def internal_bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{n.internal}" for n in self.nodes)

    @property
    def ca_file(self) -> Path:
        return self.tls / "ca.crt"

    def librdkafka_config(self, principal: str, password: str | None = None) -> dict[str, str]:
        """The same, for a librdkafka client (confluent-kafka, kcat)."""
        return {"bootstrap.servers": self.bootstrap_servers, "security.protocol": "SASL_SSL",
                "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": principal,
                "sasl.password": password if password is not None else self.passwords[principal],
                "ssl.ca.location": str(self.ca_file)}

    # -- life ------------------------------------------------------------------------------------
    def start(self, timeout_s: float = 120.0) -> ApacheKafkaCluster:
        for node in self.nodes:
            node.directory.mkdir(parents=True, exist_ok=True)
            node.properties.write_text(self._properties(node), "utf-8")
            if not (node.directory / "data" / "meta.properties").exists():
                self._format(node)
        for node in self.nodes:
            self.start_node(node)
        self._wait_for_brokers(timeout_s)
        self._apply_users()
        self._apply_acls()
        self._create_topics()
        return self

    def start_node(self, node: Node) -> None:
        log_file = open(node.directory / "kafka.log", "ab")  # noqa: SIM115 - owned by the child
        node.process = subprocess.Popen(
            self._java("kafka.Kafka", str(node.properties)), stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=die_with_parent)

    def stop(self, timeout_s: float = 30.0) -> None:
        for node in self.nodes:
            if node.running:
                assert node.process is not None
                node.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for node in self.nodes:
            if node.process is None:
                continue
            try:
                node.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()

    def __enter__(self) -> ApacheKafkaCluster:
        return self.start()

    # -- an SRE's view, and the chaos suite's faults ------------------------------------------
    def node(self, node_id: int) -> Node:
        return next(n for n in self.nodes if n.node_id == node_id)

    def tool(self, main: str, *args: str, timeout_s: float = 120.0) -> str:
        """One of Kafka's own command-line tools (``org.apache.kafka.tools.AclCommand``, ...),
        run from the jars as its ``bin/*.sh`` script would; its output."""
        return _output(self.tool_command(main, *args), main.rsplit(".", 1)[-1], timeout_s)

    def tool_command(self, main: str, *args: str) -> list[str]:
        command = self._java(main, *args)
        command[1:3] = ["-Xmx256m", "-Xms32m"]  # a tool, not a broker
        return [f"-Dlog4j2.configurationFile={self._log_config('SYSTEM_ERR')}" if c.startswith("-Dlog4j2.") else c
                for c in command]

    def client_properties(self, principal: str) -> Path:
        """A Java client's settings file for ``principal`` (SASL_SSL, SCRAM-SHA-512, the CA as a
        PEM trust store), readable by its owner only: what ``--command-config`` takes."""
        path = self.directory / "clients" / f"{principal}.properties"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text("security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"
                        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
                        f'username="{principal}" password="{self.passwords[principal]}";\n'
                        f"ssl.truststore.type=PEM\nssl.truststore.location={self.ca_file}\n", "utf-8")
        return path

    def tool_as(self, name: str, *args: str, principal: str = OPERATOR) -> list[str]:
        """The command line of ``kafka-consumer-groups --describe ...`` or another of :data:`TOOLS`,
        over SASL_SSL as ``principal`` (the on-call engineer's by default), as an SRE runs it."""
        main, config = TOOLS[name]
        return self.tool_command(main, "--bootstrap-server", self.bootstrap_servers, config,
                                 str(self.client_properties(principal)), *args)

    def run_tool(self, name: str, *args: str, principal: str = OPERATOR, timeout_s: float = 120.0) -> str:
        """:meth:`tool_as` run; its output (an exit other than 0 raises, with the tool's stderr)."""
        return _output(self.tool_as(name, *args, principal=principal), name, timeout_s)

    def _admin(self):
        from confluent_kafka.admin import AdminClient

        running = ",".join(f"127.0.0.1:{n.internal}" for n in self.nodes if n.running) or self.internal_bootstrap
        return AdminClient({"bootstrap.servers": running, "log_level": 0})

    def leader_of(self, topic: str, partition: int = 0) -> Node:
        """The node leading ``topic``'s ``partition`` now."""
        metadata = self._admin().list_topics(topic, timeout=15)
        return self.node(metadata.topics[topic].partitions[partition].leader)

    def active_controller(self) -> Node:
        """The KRaft quorum's leader now (``kafka-metadata-quorum describe --status``)."""
        running = next(n for n in self.nodes if n.running)
        status = self.tool("org.apache.kafka.tools.MetadataQuorumCommand",
                           "--bootstrap-server", f"127.0.0.1:{running.internal}", "describe", "--status")
        match = re.search(r"^LeaderId:\s*(\d+)", status, re.MULTILINE)
        if not match:
            raise RuntimeError(f"no LeaderId in the quorum's status: {status!r}")
        return self.node(int(match.group(1)))

    def kill(self, node: Node) -> None:
        """SIGKILL, as a crash or the OOM killer would."""
        assert node.process is not None
        node.process.kill()
        node.process.wait()

    def pause(self, node: Node) -> None:
        """SIGSTOP: the node holds its connections and answers nothing (a stalled VM, a GC pause)."""
        assert node.process is not None
        node.process.send_signal(signal.SIGSTOP)

    def resume(self, node: Node) -> None:
        assert node.process is not None
        node.process.send_signal(signal.SIGCONT)

    def wait_in_sync(self, timeout_s: float = 120.0) -> None:
        """Until every node is a registered broker again and every partition's replicas are all
        in sync: what an SRE waits for before the next rolling step."""
        deadline = time.monotonic() + timeout_s
        lagging: list[str] = []
        while time.monotonic() < deadline:
            try:
                metadata = self._admin().list_topics(timeout=5)
                lagging = [f"{t}[{p}]" for t, topic in metadata.topics.items()
                           for p, part in topic.partitions.items() if len(part.isrs) < len(part.replicas)]
                if len(metadata.brokers) == len(self.nodes) and not lagging:
                    return
            except Exception:  # noqa: BLE001 - a node still coming up
                pass
            time.sleep(0.5)
        raise TimeoutError(f"Apache Kafka not in sync after {timeout_s:.0f} s: {', '.join(lagging[:5])}")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- inside ------------------------------------------------------------------------------------
    def _java(self, main: str, *args: str) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("Apache Kafka needs Java 17 or newer (Debian's default-jre-headless)")
        return [java, f"-Xmx{self.heap_mb}m", f"-Xms{min(self.heap_mb, 128)}m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={self._log_config()}", "-cp", f"{self.jars}/*", main, *args]

    def _log_config(self, target: str = "SYSTEM_OUT") -> Path:
        """Log4j 2's settings: warnings and errors, to the node's log (stdout) or, for a tool, to
        stderr beside its output."""
        path = self.directory / ("log4j2.properties" if target == "SYSTEM_OUT" else "log4j2-tools.properties")
        path.write_text("rootLogger.level=WARN\nrootLogger.appenderRef.console.ref=CONSOLE\n"
                        "appender.console.type=Console\nappender.console.name=CONSOLE\n"
                        f"appender.console.target={target}\nappender.console.layout.type=PatternLayout\n"
                        "appender.console.layout.pattern=[%d] %p %m (%c)%n\n", "utf-8")
        return path

    def _properties(self, node: Node) -> str:
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller}" for n in self.nodes)
        return "\n".join([
            "# Written by appeals_devstack.apache_kafka at each start.",
            f"node.id={node.node_id}",
            "process.roles=broker,controller",
            f"controller.quorum.voters={voters}",
            "controller.listener.names=CONTROLLER",
            f"listeners=EXTERNAL://127.0.0.1:{node.external},INTERNAL://127.0.0.1:{node.internal},"
            f"CONTROLLER://127.0.0.1:{node.controller}",
            f"advertised.listeners=EXTERNAL://localhost:{node.external},INTERNAL://127.0.0.1:{node.internal}",
            "listener.security.protocol.map=EXTERNAL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=INTERNAL",
            f"log.dirs={node.directory / 'data'}",
            "sasl.enabled.mechanisms=SCRAM-SHA-512",
            "listener.name.external.scram-sha-512.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={self.tls / 'kafka.pem'}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={self.tls / 'ca.crt'}",
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found=false",
            "super.users=User:ANONYMOUS",
            "auto.create.topics.enable=true",
            f"default.replication.factor={len(self.nodes)}",
            f"min.insync.replicas={min(2, len(self.nodes))}",
            f"offsets.topic.replication.factor={len(self.nodes)}",
            f"transaction.state.log.replication.factor={len(self.nodes)}",
            f"transaction.state.log.min.isr={min(2, len(self.nodes))}",
            "num.partitions=4",
            "group.initial.rebalance.delay.ms=0",
            "log.segment.bytes=16777216",
            "",
        ])

    def _format(self, node: Node) -> None:
        # "--cluster-id=<id>": a random id may begin with "-", which the tool would read as an option
        done = subprocess.run(self._java("kafka.tools.StorageTool", "format", "--config", str(node.properties),
                                         f"--cluster-id={self.cluster_id}", "--ignore-formatted"),
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"kafka-storage format of node {node.node_id} failed: "
                               f"{(done.stderr or done.stdout).strip()[-1500:]}")

    def _apply_users(self) -> None:
        """Every principal's SCRAM credentials (a principal added since the last start too)."""
        from confluent_kafka.admin import (
            ScramCredentialInfo,
            ScramMechanism,
            UserScramCredentialUpsertion,
        )

        admin = self._admin()
        info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192)
        upserts = [UserScramCredentialUpsertion(user, info, password.encode())
                   for user, password in self.passwords.items()]
        for future in admin.alter_user_scram_credentials(upserts, request_timeout=30).values():
            future.result()

    def _wait_for_brokers(self, timeout_s: float) -> None:
        admin = self._admin()  # quiet: refusals are expected while the nodes come up
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for node in self.nodes:
                if node.process is not None and node.process.poll() is not None:
                    raise RuntimeError(f"Apache Kafka node {node.node_id} exited; see {node.directory / 'kafka.log'}")
            try:
                if len(admin.list_topics(timeout=2).brokers) == len(self.nodes):
                    return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            time.sleep(0.5)
        raise TimeoutError(f"Apache Kafka not up after {timeout_s:.0f} s; see {self.directory}/node-*/kafka.log")

    def _apply_acls(self) -> None:
        """The ACL table, all at once through the loopback listener (idempotent: a binding
        that is there already is created again without change)."""
        from confluent_kafka.admin import (
            AclBinding,
            AclOperation,
            AclPermissionType,
            ResourcePatternType,
            ResourceType,
        )

        kinds = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP, "cluster": ResourceType.BROKER}
        patterns = {"literal": ResourcePatternType.LITERAL, "prefix": ResourcePatternType.PREFIXED}
        bindings = [AclBinding(kinds[acl.kind], acl.name, patterns[acl.pattern], f"User:{user}", "*",
                               getattr(AclOperation, re.sub(r"(?<!^)(?=[A-Z])", "_", operation).upper()),
                               AclPermissionType.ALLOW)
                    for user, acls in self.acls.items() for acl in acls for operation in acl.operations]
        admin = self._admin()
        for binding, future in admin.create_acls(bindings, request_timeout=30).items():
            future.result()

    def aiokafka_options(self, principal: str) -> dict[str, object]:
        """aiokafka's client options for ``principal`` (as ``ServiceSettings.kafka_client_options``)."""
        import ssl

        return {"bootstrap_servers": self.bootstrap_servers, "security_protocol": "SASL_SSL",
                "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": principal,
                "sasl_plain_password": self.passwords[principal],
                "ssl_context": ssl.create_default_context(cafile=str(self.ca_file))}

    def _create_topics(self) -> None:
        """The registry's topics, replicated on every node, made as compose's job makes them:
        ``appeals-topics`` under the topic creator's own principal, over SASL_SSL."""
        import asyncio

        from appeals_runtime.kafka_admin import create_topics

        asyncio.run(create_topics(self.aiokafka_options(TOPIC_ADMIN), replication_factor=len(self.nodes)))

    def _passwords(self, users: list[str]) -> dict[str, str]:
        path = self.directory / "passwords"
        self.directory.mkdir(parents=True, exist_ok=True)
        known = dict(line.split(" ", 1) for line in path.read_text("utf-8").splitlines()) if path.exists() else {}
        for user in users:
            known.setdefault(user, secrets.token_urlsafe(18))
        path.write_text("".join(f"{u} {p}\n" for u, p in known.items()), "utf-8")
        path.chmod(0o600)
        return {u: known[u] for u in users}

    def _remembered(self, name: str, make) -> str:
        path = self.directory / name
        if not path.exists():
            path.write_text(make(), "utf-8")
        return path.read_text("utf-8").strip()


def _output(command: list[str], what: str, timeout_s: float) -> str:
    """A tool's output; an exit other than 0 raises with the end of its stderr."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"{what} exited with {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done.stdout


def _cluster_id() -> str:
    import base64

    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def tool_main(argv: list[str], state_dir: Path) -> int:
    """``appeals-stack kafka <tool> [its options]``: one of Kafka's own tools against ``make run
    KAFKA=apache``'s cluster, as ``appeals-operator`` over SASL_SSL (``--bootstrap-server`` and the
    settings file are added)."""
    if not argv or argv[0] not in TOOLS:
        print(f"usage: appeals-stack kafka {{{','.join(TOOLS)}}} [options of the tool]", file=sys.stderr)
        return 2
    folder = state_dir / "apache-kafka"
    if not (folder / "passwords").exists():
        print(f"no Apache Kafka under {folder}: start it with make run KAFKA=apache", file=sys.stderr)
        return 1
    return subprocess.run(ApacheKafkaCluster(folder, kafka_jars()).tool_as(*argv)).returncode
