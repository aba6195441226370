"""Hypothesis-generated bad records on every topic a service consumes (not JSON, wrong types,
huge strings, control characters, missing or partial headers, headers that are not text,
unknown or mismatched event types): each ends on the dead-letter topic of every service that
reads the topic and would parse it, and the consumers go on (a valid submission after them is
registered). A record naming a known event type that a service's inbound table leaves out is
acknowledged unread by that service (it is not its to judge): that one is checked to be absent
from the service's dead-letter topic."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from appeals_contracts.registry import EVENT_TYPES
from appeals_contracts.topics import TOPICS, dead_letter_topic
from appeals_devstack.services import SERVICES
from appeals_runtime.asyncapi import receives
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, produce, read_to_end, read_topic, submission, submission_record

pytestmark = pytest.mark.integration
DOCS = Path(__file__).parents[2] / "docs" / "asyncapi"
PER_TOPIC = 12


def consumed() -> dict[str, dict[str, frozenset[str]]]:
    """topic → the services that read it → the event types each handles there, from each
    service's AsyncAPI document."""
    readers: dict[str, dict[str, frozenset[str]]] = defaultdict(dict)
    for service in SERVICES:
        document = json.loads((DOCS / f"{service.name}.json").read_text("utf-8"))
        for topic, handled in receives(document).items():
            readers[topic][service.name] = handled
    return dict(readers)


def left_unread(headers: list[tuple[str, bytes | None]], handled: frozenset[str]) -> bool:
    """A record whose type is a known one that ``handled`` leaves out: that reader skips it."""
    named = [value for key, value in headers if key == "ce_type" and value is not None]
    if not named or _not_utf8(named[0]):
        return False
    return named[0].decode() in EVENT_TYPES and named[0].decode() not in handled


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)
odd_text = st.one_of(st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
                     st.text(alphabet=st.sampled_from("\x00\x07\x1b\u0085\u2028\ufeff"), min_size=1, max_size=50),
                     st.just("ж" * 60_000))


@st.composite
def bad_record(draw, topic: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    """(value, headers) that no consumer of ``topic`` can apply."""
    types = sorted(TOPICS[topic].event_types)
    value = draw(st.one_of(
        st.binary(max_size=300),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.dictionaries(st.sampled_from(["appeal_id", "text", "channel", "executor_code", "due_at"]),
                        json_values | odd_text, min_size=1).map(lambda v: json.dumps(v).encode()),
        odd_text.map(str.encode)))
    event_type = draw(st.sampled_from([*types, "appeal.unheard_of", "", "\x00"]))
    full = [("ce_specversion", b"1.0"), ("ce_id", str(uuid.uuid4()).encode()), ("ce_type", event_type.encode()),
            ("ce_source", b"/fuzz"), ("ce_time", b"2026-11-25T10:00:00+00:00"), ("ce_schemaversion", b"1"),
            ("content-type", b"application/json")]
    headers = draw(st.one_of(st.just(full), st.just([]), st.lists(st.sampled_from(full), unique=True, max_size=5)))
    return value, headers + draw(st.lists(odd_header, max_size=2))


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return True
    return False


#: A header whose value is not text: null, or bytes that are not UTF-8 (a CloudEvents attribute,
#: trace context, or one of the producer's own). FastStream's parser once failed a whole batch on it.
odd_header = st.tuples(st.sampled_from(["ce_source", "ce_subject", "traceparent", "x-signature"]),
                       st.none() | st.binary(min_size=1, max_size=20).filter(_not_utf8))


def _message_id(value: bytes | None) -> str | None:
    try:
        return json.loads(value or b"").get("channel_message_id")
    except (ValueError, AttributeError):
        return None  # one of the bad records


def generate(topic: str) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """``PER_TOPIC`` bad records for ``topic``, the same ones every run. (One example of a list of
    them, as this once drew, is Hypothesis's simplest: twelve copies of an empty value with every
    header; each example drawn here is a record of its own.)"""
    found: list = []

    @settings(max_examples=PER_TOPIC, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(bad_record(topic))
    def collect(record) -> None:
        found.append(record)

    collect()
    return found


async def test_every_bad_record_is_dead_lettered_and_the_consumers_go_on(fuzz_stack: StackInfo, services):
    tag = uuid.uuid4().hex[:8]
    readers = consumed()
    assert set(readers) >= {"appeals.intake.v1", "appeals.registered.v1", "appeals.executor-actions.v1"}
    sent: dict[str, list[tuple[bytes, list]]] = {}
    for topic in sorted(readers):
        records = [(f"fuzz-{tag}-{i}".encode(), value, headers) for i, (value, headers) in enumerate(generate(topic))]
        await produce(fuzz_stack.bootstrap_servers, topic, records)
        sent[topic] = [(key, headers) for key, _, headers in records]
    skipped = sum(left_unread(h, handled) for topic, keys in sent.items() for _, h in keys
                  for handled in readers[topic].values())
    assert skipped, "some fuzzed records name a type a reader leaves out"

    # The consumers go on: a valid submission after the bad records is registered.
    after = submission(f"fuzz-{tag}-after")
    await produce(fuzz_stack.bootstrap_servers, "appeals.intake.v1", [submission_record(after)])
    await read_topic(fuzz_stack.bootstrap_servers, "appeals.registered.v1", timeout_s=90, until=lambda rs: any(
        _message_id(r.value) == after.channel_message_id for r in rs))

    async def missing() -> dict[str, int]:
        left = {}
        for topic, keys in sent.items():
            for service, handled in readers[topic].items():
                dead = {r.key for r in await read_to_end(fuzz_stack.bootstrap_servers, dead_letter_topic(topic, service))}
                if absent := [k for k, headers in keys if k not in dead and not left_unread(headers, handled)]:
                    left[f"{topic} by {service}"] = len(absent)
                if judged := [k for k, headers in keys if k in dead and left_unread(headers, handled)]:
                    left[f"{topic} by {service}, though not its type"] = len(judged)
        return left

    last: dict[str, int] = {}

    async def all_dead_lettered() -> bool:
        last.clear()
        last.update(await missing())
        return not last

    try:
        await eventually(all_dead_lettered, timeout_s=120, interval_s=1.0, what="every bad record dead-lettered")
    except AssertionError:
        raise AssertionError(f"records not dead-lettered: {last}") from None
