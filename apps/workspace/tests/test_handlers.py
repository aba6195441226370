"""The workspace's use cases over a hand-written fake of the platform and the sender (no I/O):
what an employee's action becomes, and what the page is told."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from appeals_contracts.events import ExecutorAnswerSubmitted, ExecutorExtensionRequested, ExecutorReassignmentRequested
from appeals_workspace import handlers
from appeals_workspace.adapters.platform import Refused

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
WHO = handlers.Employee("emp-7", "Dana", "medeu_akimat", "token-of-dana")
APPEAL = uuid.uuid4()


class FakePlatform:
    def __init__(self, outcomes: list[dict], upload_refusal: Refused | None = None) -> None:
        self.outcomes = outcomes
        self.uploads: list[tuple[bytes, str, str]] = []
        self.upload_refusal = upload_refusal

    async def upload(self, data, content_type, *, bearer):
        self.uploads.append((data, content_type, bearer))
        if self.upload_refusal:
            return self.upload_refusal
        return {"attachment_id": str(uuid.uuid4()), "content_type": content_type, "size": len(data),
                "sha256": "0" * 64}

    async def outcome(self, code, appeal_id, action_id, *, bearer):
        assert (code, bearer) == (WHO.executor_code, WHO.token)
        return self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, object, str, datetime]] = []

    async def send(self, executor_code, action, *, appeal_id, now):
        self.sent.append((executor_code, action, appeal_id, now))


async def no_pause(_: float) -> None:
    return None


async def answer(platform, sender, **changes):
    values = dict(text="Качели отремонтированы.", language="ru", photos=[], max_photos=2, photo_max_bytes=100,
                  now=NOW, wait_s=1.0, pause=no_pause)
    return await handlers.answer(platform, sender, WHO, APPEAL, **{**values, **changes})


async def test_an_answer_names_the_employee_of_the_session_and_the_platforms_time_with_its_photos():
    platform, sender = FakePlatform([{"state": "pending"}, {"state": "done", "outcome": "answered"}]), FakeSender()
    sent = await answer(platform, sender, photos=[handlers.Photo(b"jpeg-bytes", "image/jpeg")])
    assert isinstance(sent, handlers.Sent) and sent.state == "done"
    [(code, action, appeal_id, at)] = sender.sent
    assert isinstance(action, ExecutorAnswerSubmitted)
    assert (code, action.executor_code, action.employee_id, action.employee_name) == (
        "medeu_akimat", "medeu_akimat", "emp-7", "Dana")
    assert action.submitted_at == at == NOW and appeal_id == str(APPEAL) and action.action_id == sent.action_id
    assert [a.size for a in action.attachments] == [10]
    assert platform.uploads == [(b"jpeg-bytes", "image/jpeg", "token-of-dana")], "the employee's own token"


@pytest.mark.parametrize(("changes", "field"), [
    ({"text": "   "}, "text"),
    ({"text": "x" * 20_001}, "text"),
    ({"photos": [handlers.Photo(b"1", "image/png")] * 3}, "photos"),
    ({"photos": [handlers.Photo(b"1" * 101, "image/png")]}, "photos"),
])
async def test_an_answer_that_cannot_be_sent_is_not_sent_and_says_why(changes, field):
    platform, sender = FakePlatform([{"state": "done"}]), FakeSender()
    refused = await answer(platform, sender, **changes)
    assert isinstance(refused, handlers.NotSent) and field in refused.errors
    assert sender.sent == [] and platform.uploads == []


async def test_a_photo_intake_refuses_stops_the_answer():
    platform, sender = FakePlatform([{"state": "done"}], upload_refusal=Refused(415, "not JPEG, PNG or PDF")), FakeSender()
    refused = await answer(platform, sender, photos=[handlers.Photo(b"gif", "image/gif")])
    assert isinstance(refused, handlers.NotSent) and refused.errors["photos"] == (
        "photo_refused", {"reason": "not JPEG, PNG or PDF"})
    assert sender.sent == []


async def test_routings_refusal_and_silence_are_told_apart():
    refused = await answer(FakePlatform([{"state": "refused", "outcome": "the appeal is closed"}]), FakeSender())
    assert (refused.state, refused.reason) == ("refused", "the appeal is closed")
    waited = await answer(FakePlatform([{"state": "pending"}]), FakeSender())
    assert waited.state == "pending"


async def test_not_our_competence_and_an_extension_need_a_reason():
    platform, sender = FakePlatform([{"state": "done"}]), FakeSender()
    assert isinstance(await handlers.not_our_competence(platform, sender, WHO, APPEAL, reason=" ", suggested="x",
                                                        now=NOW, wait_s=0, pause=no_pause), handlers.NotSent)
    assert isinstance(await handlers.ask_extension(platform, sender, WHO, APPEAL, reason="", now=NOW, wait_s=0,
                                                   pause=no_pause), handlers.NotSent)
    assert sender.sent == []
    await handlers.not_our_competence(platform, sender, WHO, APPEAL, reason="Not ours: lighting.", suggested=None,
                                      now=NOW, wait_s=0, pause=no_pause)
    await handlers.ask_extension(platform, sender, WHO, APPEAL, reason="Site inspection.", now=NOW, wait_s=0,
                                 pause=no_pause)
    [(_, moved, _, _), (_, longer, _, _)] = sender.sent
    assert isinstance(moved, ExecutorReassignmentRequested) and moved.suggested_executor_code is None
    assert isinstance(longer, ExecutorExtensionRequested) and longer.requested_at == NOW
    assert moved.employee_id == longer.employee_id == "emp-7"
