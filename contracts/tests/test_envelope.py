from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from appeals_contracts.envelope import Envelope, EnvelopeError
from appeals_contracts.events import AppealRegistered, AppealSubmitted, DeadlineBreached

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _registered() -> AppealRegistered:
    return AppealRegistered(
        appeal_id=uuid.uuid4(), registration_number="OA-2026-00000001", channel="portal",
        channel_message_id="m-1", kind="request", category="education", text="Need a school place",
        language="en", registered_at=NOW)


def test_round_trip_through_kafka_headers_and_value():
    event = _registered()
    envelope = Envelope.wrap(event, source="/services/intake", subject=str(event.appeal_id), correlation_id="c-1",
                             time=NOW)
    headers = envelope.kafka_headers({"ce_executor": "almaly_akimat"})
    names = dict(headers)
    assert names["ce_specversion"] == b"1.0"
    assert names["ce_type"] == b"appeal.registered"
    assert names["ce_subject"] == str(event.appeal_id).encode()
    assert names["content-type"] == b"application/json"
    assert names["ce_executor"] == b"almaly_akimat"

    read = Envelope.from_kafka(headers, envelope.kafka_value())
    assert read.id == envelope.id and read.correlation_id == "c-1"
    assert read.event() == event


def test_unknown_fields_are_ignored():
    event = _registered()
    envelope = Envelope.wrap(event, source="/x", subject=None, time=NOW)
    value = json.loads(envelope.kafka_value())
    value["added_in_a_later_minor_version"] = {"anything": 1}
    read = Envelope.from_kafka(envelope.kafka_headers(), json.dumps(value).encode())
    assert read.event() == event


def test_events_are_frozen():
    event = DeadlineBreached(appeal_id=uuid.uuid4(), due_at=NOW, breached_at=NOW)
    with pytest.raises(Exception):
        event.due_at = NOW  # type: ignore[misc]


@pytest.mark.parametrize(("headers", "value", "reason"), [
    ([], b"{}", "missing CloudEvents headers"),
    ([("ce_id", b"x"), ("ce_type", b"t"), ("ce_source", b"s"), ("ce_time", b"2026-01-01T00:00:00Z")], b"{", "not JSON"),
    ([("ce_id", b"x"), ("ce_type", b"t"), ("ce_source", b"s"), ("ce_time", b"2026-01-01T00:00:00Z")], b"[1]", "expected an object"),
    ([("ce_id", b"not-a-uuid"), ("ce_type", b"t"), ("ce_source", b"s"), ("ce_time", b"2026-01-01T00:00:00Z")], b"{}", "malformed"),
])
def test_malformed_records_are_refused_with_a_reason(headers, value, reason):
    with pytest.raises(EnvelopeError, match=reason):
        Envelope.from_kafka(headers, value)


_ATTRS = [("ce_id", str(uuid.uuid4()).encode()), ("ce_type", b"appeal.registered"), ("ce_source", b"/x"),
          ("ce_time", b"2026-01-01T00:00:00Z")]


@pytest.mark.parametrize(("headers", "reason"), [
    ([*_ATTRS[:2], ("ce_source", b"\xff\xfe"), _ATTRS[3]], "header ce_source is not UTF-8"),
    ([*_ATTRS, ("ce_subject", None)], "header ce_subject is null"),
])
def test_an_attribute_that_is_not_text_is_refused_with_its_name(headers, reason):
    with pytest.raises(EnvelopeError, match=reason):
        Envelope.from_kafka(headers, b"{}")


def test_headers_the_envelope_does_not_read_may_hold_anything():
    """A producer's own headers (binary, null) are not looked at; unreadable trace context is
    dropped, as W3C says: a new trace begins."""
    read = Envelope.from_kafka([*_ATTRS, ("x-signature", b"\x00\xff"), ("x-null", None),
                                ("traceparent", b"\xff"), ("tracestate", None)], b"{}")
    assert (read.type, read.source, read.traceparent, read.tracestate) == ("appeal.registered", "/x", None, None)


def test_payload_errors_never_echo_the_input():
    envelope = Envelope.wrap(_registered(), source="/x", subject=None, time=NOW)
    data = {**json.loads(envelope.kafka_value()), "citizen": {"email": ["secret@example.kz"]}}
    bad = Envelope.from_kafka(envelope.kafka_headers(), json.dumps(data).encode())
    with pytest.raises(EnvelopeError) as info:
        bad.event()
    assert "secret@example.kz" not in str(info.value)
    assert "citizen.email" in str(info.value)


def test_unknown_event_type_is_an_envelope_error():
    envelope = Envelope(id=uuid.uuid4(), type="appeal.teleported", schema_version=1, time=NOW,
                        source="/x", data={})
    with pytest.raises(EnvelopeError, match="unknown event type"):
        envelope.event()


def test_submitted_v1_payload_is_upcast_on_read():
    """A legacy adapter still sends schema version 1 with the network as the channel."""
    v1 = {"channel": "telegram", "channel_message_id": "tg-1", "kind": "complaint", "category": "road_repair",
          "text": "Pothole on Abai avenue", "language": "ru", "anonymous": True}
    envelope = Envelope(id=uuid.uuid4(), type="appeal.submitted", schema_version=1, time=NOW,
                        source="/adapters/telegram", data=v1)
    event = Envelope.from_kafka(envelope.kafka_headers(), envelope.kafka_value()).event()
    assert isinstance(event, AppealSubmitted)
    assert event.channel == "social_network" and event.social_network == "telegram"
