"""Least privilege on Apache Kafka, proven by the broker: a three-node KRaft cluster (Apache
Kafka 4, fetched from Maven Central by the project's pom, replication factor 3,
``min.insync.replicas=2``), clients over SASL_SSL with SCRAM-SHA-512, and the ACL table
``appeals-stack acls`` generates. For every principal, what its row allows works (each topic it
writes, with the idempotent producer and ``acks=all``; each topic it reads, in a consumer group
of its own prefix) and what it does not is refused by the broker: a service writing another's
topic, an adapter reading assignments, a portal writing answers, the workspace reading
anything, a group outside its prefix, an unknown user, a wrong password."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from appeals_contracts.topics import TOPICS
from appeals_devstack.apache_kafka import TOPIC_ADMIN, ApacheKafkaCluster, kafka_jars

pytestmark = [pytest.mark.integration, pytest.mark.apache_kafka]

ROOT = Path(__file__).parents[2]
TAG = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[ApacheKafkaCluster]:
    with ApacheKafkaCluster(tmp_path_factory.mktemp("apache-kafka"), kafka_jars()) as running:
        yield running


def _produce(config: dict, topic: str) -> object:
    """The broker's answer to one record: None when written, else the error."""
    from confluent_kafka import Producer

    results: list = []
    producer = Producer({**config, "enable.idempotence": True, "acks": "all", "message.timeout.ms": 20000,
                         "allow.auto.create.topics": False})
    producer.produce(topic, value=TAG.encode(), key=TAG.encode(), partition=0,
                     on_delivery=lambda error, _: results.append(error))
    producer.flush(30)
    return results[0] if results else "no answer"


def _consume(config: dict, topic: str, group: str) -> object:
    """A record read from the topic's first partition in ``group``, or the broker's error."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({**config, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "allow.auto.create.topics": False})
    try:
        consumer.assign([TopicPartition(topic, 0)])
        for _ in range(20):
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                return message.error()
            consumer.commit(message=message, asynchronous=False)  # the group is the principal's
            return message
        return "nothing read"
    except Exception as exc:  # noqa: BLE001 - the broker's refusal, raised by the client
        return exc
    finally:
        consumer.close()


def _refused(result: object) -> bool:
    text = str(result)
    return "AUTHORIZATION_FAILED" in text or "Authorization failed" in text


def _group(principal: str) -> str:
    service = principal.removeprefix("appeals-")
    return f"{service}.{TAG}" if principal.startswith("appeals-") else f"{principal}-{TAG}"


def test_every_principal_does_its_work_and_nothing_else(cluster: ApacheKafkaCluster):
    from confluent_kafka import Producer

    # a record in every topic's first partition, written on the brokers' own listener
    marker = Producer({"bootstrap.servers": cluster.internal_bootstrap, "acks": "all"})
    for topic in TOPICS:
        marker.produce(topic, value=b"marker", partition=0)
    assert marker.flush(30) == 0

    checked = 0
    for principal, acls in cluster.acls.items():
        if principal == TOPIC_ADMIN:
            continue
        config = cluster.librdkafka_config(principal)
        writes = {a.name for a in acls if a.kind == "topic" and "Write" in a.operations and a.name in TOPICS}
        reads = {a.name for a in acls if a.kind == "topic" and "Read" in a.operations and a.name in TOPICS}
        for topic in sorted(writes):
            assert _produce(config, topic) is None, (principal, "write", topic)
        for topic in sorted(reads):
            got = _consume(config, topic, _group(principal))
            assert not isinstance(got, (str, Exception)) and not _refused(got), (principal, "read", topic, got)
        foreign_write = next(t for t in sorted(TOPICS) if t not in writes)
        foreign_read = next(t for t in sorted(TOPICS) if t not in reads)
        assert _refused(_produce(config, foreign_write)), (principal, "wrote", foreign_write)
        assert _refused(_consume(config, foreign_read, _group(principal))), (principal, "read", foreign_read)
        if reads:
            outside = _consume(config, sorted(reads)[0], f"someone-else-{TAG}")
            assert _refused(outside), (principal, "group outside its prefix", outside)
        checked += 1
    assert checked == 8, checked  # five services, the workspace, the example adapter and portal

    # the cases the issue names, spelled out
    portal, adapter = cluster.librdkafka_config("portal-medeu-akimat"), cluster.librdkafka_config("adapter-telegram")
    assert _refused(_produce(portal, "appeals.answered.v1"))
    assert _refused(_consume(adapter, "appeals.assigned.v1", f"adapter-telegram-{TAG}"))
    assert _refused(_produce(cluster.librdkafka_config("appeals-notification"), "appeals.registered.v1"))
    assert _refused(_produce(cluster.librdkafka_config("appeals-workspace"), "appeals.answered.v1"))


def test_an_unknown_user_or_a_wrong_password_is_not_let_in(cluster: ApacheKafkaCluster):
    from confluent_kafka import KafkaError, Producer

    for config in (cluster.librdkafka_config("nobody", password="guess"),
                   cluster.librdkafka_config("appeals-intake", password="not-its-password")):
        errors: list = []
        producer = Producer({**config, "message.timeout.ms": 5000, "log_level": 0, "error_cb": errors.append})
        producer.produce("appeals.registered.v1", value=b"x", partition=0)
        producer.flush(10)
        assert any(e.code() == KafkaError._AUTHENTICATION for e in errors), errors


def test_a_restart_of_the_cluster_keeps_an_adapters_records(cluster: ApacheKafkaCluster):
    """What the embedded broker loses (an adapter's records not yet read when it stops), Apache
    Kafka keeps: 500 submissions written by the adapter's principal, every node stopped before
    anyone read them, the cluster started again from its disks, all 500 there."""
    from confluent_kafka import Consumer, Producer, TopicPartition

    run = f"restart-{uuid.uuid4().hex[:8]}"
    producer = Producer({**cluster.librdkafka_config("adapter-telegram"), "enable.idempotence": True, "acks": "all"})
    for i in range(500):
        producer.produce("appeals.intake.v1", key=f"{run}:{i}".encode(), value=run.encode())
    assert producer.flush(30) == 0
    cluster.stop()
    assert not any(node.running for node in cluster.nodes)
    cluster.start()
    consumer = Consumer({"bootstrap.servers": cluster.internal_bootstrap, "group.id": run,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition("appeals.intake.v1", p) for p in range(TOPICS["appeals.intake.v1"].partitions)])
        seen: set[bytes] = set()
        idle = 0
        while idle < 10:
            message = consumer.poll(1.0)
            if message is None:
                idle += 1
                continue
            idle = 0
            if not message.error() and message.value() == run.encode():
                seen.add(message.key())
    finally:
        consumer.close()
    assert len(seen) == 500
