"""The committed AsyncAPI documents are what FastStream generates from the services now, and
they name every topic each service reads and writes."""

import json
from pathlib import Path

import pytest

from appeals_contracts.topics import TOPICS
from appeals_devstack.asyncapi_docs import rendered
from appeals_devstack.services import SERVICES

DOCS = Path(__file__).parents[3] / "docs" / "asyncapi"


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_the_committed_document_is_up_to_date(service):
    committed = DOCS / f"{service.name}.json"
    assert committed.is_file(), "run `make asyncapi`"
    assert committed.read_text("utf-8") == rendered(service), "out of date: run `make asyncapi`"


def test_every_topic_has_a_writer_and_the_flow_is_covered():
    written, read = set(), set()
    for service in SERVICES:
        doc = json.loads((DOCS / f"{service.name}.json").read_text("utf-8"))
        assert doc["asyncapi"] == "3.0.0"
        for operation in doc["operations"].values():
            channel = doc["channels"][operation["channel"]["$ref"].rsplit("/", 1)[-1]]
            (written if operation["action"] == "send" else read).add(channel["address"])
    outside = {"appeals.intake.v1", "appeals.executor-actions.v1"}  # written by channel adapters and portals
    assert written | outside == set(TOPICS)
    assert read >= {"appeals.registered.v1", "appeals.assigned.v1", "appeals.deadlines.v1",
                    "appeals.inspections.v1", "appeals.answered.v1", "appeals.intake.v1",
                    "appeals.executor-actions.v1", "appeals.extension-requested.v1"}
