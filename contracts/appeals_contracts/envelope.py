"""The envelope of every event and its mapping onto Kafka records.

The mapping follows the CloudEvents Kafka protocol binding in binary content mode: the
record value is the JSON payload, attributes travel as ``ce_*`` headers, and the record
key is the appeal id (the topic registry says which key each topic uses). Trace context
travels as W3C ``traceparent`` / ``tracestate`` headers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from appeals_contracts.base import Event
from appeals_contracts.registry import event_model
from appeals_contracts.upcasting import upcast

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

Headers = list[tuple[str, bytes]]


class EnvelopeError(ValueError):
    """A Kafka record is not a well-formed event of the platform."""


def field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """(dotted field path, message) of each validation error, without the input values
    (which may be a citizen's personal data)."""
    return [(".".join(str(p) for p in err["loc"]), err["msg"])
            for err in exc.errors(include_input=False, include_url=False)]


def safe_errors(exc: ValidationError) -> str:
    """:func:`field_errors` as one line, fit for a log or a dead-letter header."""
    return "; ".join(f"{field or '<root>'}: {message}" for field, message in field_errors(exc))


#: The CloudEvents attributes the envelope reads: each must be UTF-8 text.
_ATTRIBUTES = frozenset({"ce_id", "ce_type", "ce_source", "ce_time", "ce_schemaversion", "ce_subject",
                         "ce_correlationid"})
#: Trace context: best effort, as W3C says of a header that cannot be read (a new trace begins).
_TRACE_HEADERS = frozenset({"traceparent", "tracestate"})


def _read_headers(headers: Any) -> dict[str, str]:
    """The record's headers the envelope reads, as text; others (whatever a producer added) are
    not looked at. Raises :class:`EnvelopeError` for an attribute that is null or not UTF-8; a
    trace header like that is left out."""
    read: dict[str, str] = {}
    for key, value in headers or ():
        if key in _ATTRIBUTES:
            if value is None:
                raise EnvelopeError(f"header {key} is null")
            try:
                read[key] = value.decode()
            except UnicodeDecodeError:
                raise EnvelopeError(f"header {key} is not UTF-8") from None
        elif key in _TRACE_HEADERS and value is not None:
            try:
                read[key] = value.decode()
            except UnicodeDecodeError:
                continue
    return read


class Envelope(BaseModel):
    """Metadata of one event plus its payload (``data``, as sent).

    ``subject`` is the appeal id for appeal events; for submissions, which have no appeal
    yet, it is ``"<channel>:<channel_message_id>"``.
    """

    model_config = ConfigDict(frozen=True)

    id: UUID
    type: str
    schema_version: int
    time: AwareDatetime
    source: str
    subject: str | None = None
    correlation_id: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        source: str,
        subject: str | None,
        time: datetime,
        correlation_id: str | None = None,
        event_id: UUID | None = None,
    ) -> Envelope:
        """Put ``event`` into a new envelope; ``time`` is when it happened, by the platform's
        clock (the caller's: the contracts read no clock)."""
        return cls(
            id=event_id or uuid4(),
            type=event.event_type,
            schema_version=event.schema_version,
            time=time,
            source=source,
            subject=subject,
            correlation_id=correlation_id,
            data=event.model_dump(mode="json"),
        )

    def event(self) -> Event:
        """The payload as the current model of its type, upcast if it is older.

        Raises :class:`EnvelopeError` for an unknown type or a payload that does not fit.
        """
        try:
            model = event_model(self.type)
            payload = upcast(self.type, self.schema_version, model.schema_version, self.data)
            return model.model_validate(payload)
        except ValidationError as exc:
            raise EnvelopeError(f"{self.type} payload does not fit: {safe_errors(exc)}") from exc
        except (LookupError, ValueError) as exc:
            raise EnvelopeError(str(exc)) from exc

    def kafka_headers(self, extra: dict[str, str] | None = None) -> Headers:
        """``ce_*`` headers of the binary content mode, plus trace context and ``extra``."""
        return [(k, v.encode()) for k, v in self.header_values(extra).items()]

    def header_values(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """:meth:`kafka_headers` as text, by name (what the outbox stores)."""
        headers = {
            "ce_specversion": SPEC_VERSION,
            "ce_id": str(self.id),
            "ce_type": self.type,
            "ce_source": self.source,
            "ce_time": self.time.isoformat(),
            "ce_schemaversion": str(self.schema_version),
            "content-type": CONTENT_TYPE,
        }
        if self.subject is not None:
            headers["ce_subject"] = self.subject
        if self.correlation_id is not None:
            headers["ce_correlationid"] = self.correlation_id
        if self.traceparent:
            headers["traceparent"] = self.traceparent
        if self.tracestate:
            headers["tracestate"] = self.tracestate
        headers.update(extra or {})
        return headers

    def kafka_value(self) -> bytes:
        """The record value: the JSON payload."""
        return orjson.dumps(self.data)  # compact UTF-8, as json.dumps(ensure_ascii=False) wrote it

    @classmethod
    def from_kafka(cls, headers: Any, value: bytes | None) -> Envelope:
        """Read an envelope from a record's headers and value.

        Raises :class:`EnvelopeError` naming what is wrong: missing or malformed
        attributes, a value that is not a JSON object.
        """
        h = _read_headers(headers)
        missing = [k for k in ("ce_id", "ce_type", "ce_source", "ce_time") if k not in h]
        if missing:
            raise EnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}")
        if value is None:
            raise EnvelopeError("record has no value")
        try:
            data = orjson.loads(value)  # a third of the cost of json.loads per record; stricter too
        except orjson.JSONDecodeError as exc:  # (not UTF-8, a lone surrogate, NaN: refused)
            raise EnvelopeError(f"value is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise EnvelopeError(f"value is JSON {type(data).__name__}, expected an object")
        try:
            return cls(
                id=h["ce_id"],
                type=h["ce_type"],
                schema_version=int(h.get("ce_schemaversion", "1")),
                time=h["ce_time"],
                source=h["ce_source"],
                subject=h.get("ce_subject"),
                correlation_id=h.get("ce_correlationid"),
                traceparent=h.get("traceparent"),
                tracestate=h.get("tracestate"),
                data=data,
            )
        except ValidationError as exc:
            raise EnvelopeError(f"malformed CloudEvents headers: {safe_errors(exc)}") from exc
        except ValueError as exc:
            raise EnvelopeError(f"malformed CloudEvents headers: {exc}") from exc
