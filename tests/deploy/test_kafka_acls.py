"""The Kafka principals' ACLs: derived from the AsyncAPI documents, committed as Strimzi
KafkaUser resources and as the table in docs/security.md, all three the same."""

from __future__ import annotations

from pathlib import Path

import yaml

from appeals_devstack.kafka_acls import EXAMPLE, OPERATOR, kafka_users, principals, table
from appeals_devstack.services import SERVICES

DOC = (Path(__file__).parents[2] / "docs" / "security.md").read_text("utf-8")


def test_the_committed_kafka_users_are_current():
    assert EXAMPLE.read_text("utf-8") == kafka_users(), "run `appeals-stack acls`"
    users = list(yaml.safe_load_all(EXAMPLE.read_text("utf-8")))
    assert {u["metadata"]["name"] for u in users} >= {f"appeals-{s.name}" for s in SERVICES}
    assert all(u["kind"] == "KafkaUser" and u["spec"]["authentication"]["type"] == "scram-sha-512" for u in users)


def test_the_docs_show_the_same_table():
    assert table() in DOC


def test_only_platform_services_read_what_carries_contact_details():
    readers = {user for user, acls in principals().items()
               if any(a.name == "appeals.registered.v1" and "Read" in a.operations for a in acls)}
    assert readers and all(r.startswith("appeals-") for r in readers)
    portal = principals()["portal-medeu-akimat"]
    assert not any("Write" in a.operations and a.name != "appeals.executor-actions.v1" for a in portal)


def test_an_adapter_reads_only_its_own_channel_s_replies():
    from appeals_contracts.reference import load_reference
    from appeals_contracts.topics import REPLY_CHANNELS, outbound_topic

    replying = {c for c, e in load_reference().channels.entries.items() if e.attributes.get("replies_in_channel")}
    assert set(REPLY_CHANNELS) == replying, "a replies topic for each channel whose adapter posts replies"
    adapter = principals()["adapter-telegram"]
    readable = {a.name for a in adapter if a.kind == "topic" and "Read" in a.operations}
    assert outbound_topic("social_network") in readable
    assert not readable & {outbound_topic(c) for c in REPLY_CHANNELS if c != "social_network"}
    assert not any(a.pattern == "prefix" and a.kind == "topic" for a in adapter)
    # notification writes the replies; the on-call only puts a dead-lettered one back (replay)
    writers = {user for user, acls in principals().items()
               if any(a.name.startswith("notifications.outbound.") and ".dlq." not in a.name
                      and "Write" in a.operations for a in acls)}
    assert writers == {"appeals-notification", OPERATOR}
