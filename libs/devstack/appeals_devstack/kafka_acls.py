"""Kafka principals and their ACLs, derived from what each service reads and writes (its
AsyncAPI document), plus one example channel adapter and one example executor portal.

``appeals-stack acls`` writes them as Strimzi ``KafkaUser`` resources to
``deploy/helm/open-appeals/examples/kafka-users.yaml``; docs/security.md shows the same table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from appeals_contracts.topics import TOPICS, dead_letter_topic, outbound_topic
from appeals_devstack.services import SERVICES

ROOT = Path(__file__).parents[3]
EXAMPLE = ROOT / "deploy" / "helm" / "open-appeals" / "examples" / "kafka-users.yaml"
COMPOSE_SETUP = ROOT / "deploy" / "compose" / "kafka" / "setup.sh"
PREFIX = "appeals-"
#: The principal of the topic-creating job (compose): creates the registry's topics, nothing else.
TOPIC_ADMIN = "appeals-topic-admin"
#: The on-call engineer's principal: ``appeals dlq`` and Kafka's own tools.
OPERATOR = "appeals-operator"


@dataclass(frozen=True)
class Acl:
    kind: str  # topic or group
    name: str
    pattern: str  # literal or prefix
    operations: tuple[str, ...]


def _operations(document: dict) -> tuple[set[str], set[str]]:
    reads, writes = set(), set()
    for name, operation in document["operations"].items():
        (reads if operation["action"] == "receive" else writes).add(name.split(":", 1)[0])
    return reads, writes


def principals(docs: Path = ROOT / "docs" / "asyncapi") -> dict[str, list[Acl]]:
    """Principal (Kafka user) → its ACLs; nothing else is allowed."""
    users: dict[str, list[Acl]] = {}
    for service in SERVICES:
        reads, writes = _operations(json.loads((docs / f"{service.name}.json").read_text("utf-8")))
        acls = [Acl("topic", t, "literal", ("Read", "Describe")) for t in sorted(reads)]
        acls += [Acl("topic", t, "literal", ("Write", "Describe")) for t in sorted(writes)]
        acls += [Acl("topic", dead_letter_topic(t, service.name), "literal", ("Write", "Create", "Describe"))
                 for t in sorted(reads)]
        acls.append(Acl("group", f"{service.name}.", "prefix", ("Read",)))
        users[PREFIX + service.name] = acls
    users["adapter-telegram"] = [
        Acl("topic", "appeals.intake.v1", "literal", ("Write", "Describe")),
        Acl("topic", "appeals.intake-rejected.v1", "literal", ("Read", "Describe")),
        Acl("topic", outbound_topic("social_network"), "literal", ("Read", "Describe")),  # its channel's only
        Acl("group", "adapter-telegram", "prefix", ("Read",))]
    # The executors' workspace (apps/workspace): it only publishes actions, signed with each
    # organisation's key, and reads routing's answers over HTTP.
    users[PREFIX + "workspace"] = [Acl("topic", "appeals.executor-actions.v1", "literal", ("Write", "Describe"))]
    # The e-mail channel (apps/mail): an adapter like any other, under its own principal.
    users[PREFIX + "mail"] = [
        Acl("topic", "appeals.intake.v1", "literal", ("Write", "Describe")),
        Acl("topic", "appeals.intake-rejected.v1", "literal", ("Read", "Describe")),
        Acl("topic", outbound_topic("email"), "literal", ("Read", "Describe")),
        *(Acl("topic", dead_letter_topic(t, "mail"), "literal", ("Write", "Create", "Describe"))
          for t in ("appeals.intake-rejected.v1", outbound_topic("email"))),
        Acl("group", "mail", "prefix", ("Read",))]
    users["portal-medeu-akimat"] = [
        Acl("topic", "appeals.assigned.v1", "literal", ("Read", "Describe")),
        Acl("topic", "appeals.executor-actions.v1", "literal", ("Write", "Describe")),
        Acl("topic", "appeals.executor-actions-rejected.v1", "literal", ("Read", "Describe")),
        Acl("group", "portal-medeu-akimat", "prefix", ("Read",))]
    users[OPERATOR] = _operator(users)
    return users


def _operator(users: dict[str, list[Acl]]) -> list[Acl]:
    """The on-call engineer (``appeals dlq``, ``kafka-consumer-groups``, ``kafka-console-consumer``,
    ``kafka-acls --list``):
    sees every topic and group (lag), reads and deletes dead letters, and writes a dead letter's
    record back to the topic it came from (replay); reads no business topic."""
    dead_letters = sorted({a.name for acls in users.values() for a in acls if ".dlq." in a.name})
    replayed = sorted({dead.split(".dlq.", 1)[0] for dead in dead_letters})
    prefixes = sorted({name.split(".", 1)[0] + "." for name in TOPICS})
    return ([Acl("topic", p, "prefix", ("Describe", "DescribeConfigs")) for p in prefixes]
            + [Acl("topic", t, "literal", ("Read", "Delete")) for t in dead_letters]
            + [Acl("topic", t, "literal", ("Write",)) for t in replayed]
            + [Acl("group", "*", "literal", ("Describe",)), Acl("group", OPERATOR, "prefix", ("Read",)),
               Acl("cluster", "kafka-cluster", "literal", ("Describe",))])  # the ACLs and the quorum, read-only


def kafka_users(cluster: str = "appeals-kafka") -> str:
    """Strimzi KafkaUser resources (SCRAM-SHA-512, simple authorization) for every principal."""
    documents = []
    for user, acls in principals().items():
        documents.append({
            "apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaUser",
            "metadata": {"name": user, "labels": {"strimzi.io/cluster": cluster}},
            "spec": {"authentication": {"type": "scram-sha-512"}, "authorization": {"type": "simple", "acls": [
                {"resource": {"type": a.kind} if a.kind == "cluster" else
                 {"type": a.kind, "name": a.name, "patternType": a.pattern}, "operations": list(a.operations)}
                for a in acls]}}})
    header = ("# Generated by `appeals-stack acls` from the services' AsyncAPI documents: one principal per\n"
              "# service (its password lands in the secret of the same name, which the chart reads with\n"
              "# kafka.sasl.userPrefix=appeals-), plus an example channel adapter and executor portal.\n")
    return header + yaml.safe_dump_all(documents, sort_keys=False)


def _topic_admin() -> list[Acl]:
    prefixes = sorted({name.split(".", 1)[0] + "." for name in TOPICS})
    return [Acl("topic", p, "prefix", ("Create", "Describe")) for p in prefixes]


def compose_setup() -> str:
    """The shell script the compose ``kafka-setup`` job runs inside the broker's network: one
    SCRAM-SHA-512 user per principal (trial passwords ``trial-only-<user>``) and its ACLs."""
    server = '"$BOOTSTRAP"'
    lines = ["#!/usr/bin/env bash",
             "# Generated by `appeals-stack acls`. Run by docker compose's kafka-setup job against the broker's",
             "# local listener: SCRAM users with trial passwords and their ACLs (docs/security.md).",
             "set -euo pipefail", 'BOOTSTRAP="${BOOTSTRAP:-127.0.0.1:29092}"', 'BIN="${KAFKA_BIN:-/opt/kafka/bin}"', ""]
    users = {**principals(), TOPIC_ADMIN: _topic_admin()}
    for user, acls in users.items():
        lines.append(f'"$BIN/kafka-configs.sh" --bootstrap-server {server} --alter --entity-type users '
                     f"--entity-name {user} --add-config 'SCRAM-SHA-512=[iterations=8192,password=trial-only-{user}]'")
        for acl in acls:
            operations = " ".join(f"--operation {o}" for o in acl.operations)
            pattern = "prefixed" if acl.pattern == "prefix" else "literal"
            resource = "--cluster" if acl.kind == "cluster" else f"--{acl.kind} '{acl.name}' --resource-pattern-type {pattern}"
            lines.append(f'"$BIN/kafka-acls.sh" --bootstrap-server {server} --add --allow-principal User:{user} '
                         f"{operations} {resource}")
    lines.append('echo "kafka users and ACLs ready"')
    return "\n".join(lines) + "\n"


def table() -> str:
    """The principals and their ACLs as a Markdown table (docs/security.md)."""
    lines = ["| principal | may read | may write |", "|---|---|---|"]
    for user, acls in principals().items():
        reads = [f"`{a.name}`" for a in acls if a.kind == "topic" and "Read" in a.operations]
        writes = [f"`{a.name}`" for a in acls if a.kind == "topic" and "Write" in a.operations]
        if user == OPERATOR:  # dozens of literal names: said in words
            reads = [f"every dead-letter topic (`<topic>.dlq.<service>`, {len(reads)}; and deletes from them)"]
            writes = [f"the {len(writes)} topics those letters came from (replay)"]
        lines.append(f"| `{user}` | {', '.join(reads)} | {', '.join(writes)} |")
    return "\n".join(lines)
