"""Event contracts of the citizen-appeals platform (v1).

The single source of truth for what crosses a service boundary: the envelope and its
mapping onto Kafka headers (CloudEvents Kafka protocol binding, binary content mode),
the topic registry, the event models, upcasters for older schema versions, and the
reference data (appeal kinds, channels, categories, districts).
"""

from appeals_contracts.envelope import Envelope, EnvelopeError
from appeals_contracts.registry import EVENT_TYPES, UnknownEventType, event_model
from appeals_contracts.topics import TOPICS, Topic, dead_letter_topic

__all__ = [
    "EVENT_TYPES",
    "Envelope",
    "EnvelopeError",
    "TOPICS",
    "Topic",
    "UnknownEventType",
    "dead_letter_topic",
    "event_model",
]
