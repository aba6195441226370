"""docs/events.md names every topic and event type the contracts define."""

from pathlib import Path

from appeals_contracts.registry import EVENT_TYPES
from appeals_contracts.topics import TOPICS

DOC = (Path(__file__).parents[2] / "docs" / "events.md").read_text("utf-8")


def test_every_topic_and_event_type_is_documented():
    missing = [f"`{name}`" for name in (*TOPICS, *EVENT_TYPES) if f"`{name}`" not in DOC]
    assert missing == []
