"""The portal's use cases over a fake of the platform's APIs (the real ones are in
tests/integration/test_portal.py): photos first, each refusal in words, nothing submitted
after a refused photo, and the photos taken kept for the next try."""

from __future__ import annotations

from typing import Any

from appeals_contracts.reference import load_reference
from appeals_portal import handlers
from appeals_portal.adapters.platform import Refused, Registered
from appeals_portal.domain.words import Texts
from appeals_runtime.forms import details_of

T = Texts("ru")
LIMITS = handlers.Limits(max_photos=2, photo_max_bytes=100)
DETAILS = details_of(load_reference(), "road_repair", T.language)
VALUES = {"category": "road_repair", "kind": "complaint", "text": "Яма", "message_id": "a" * 32, "name": "А",
          "phone": "+77011234567"}


class FakePlatform:
    def __init__(self, *, upload: list[str | Refused] | None = None, submit: Registered | Refused | None = None):
        self.uploads, self.submitted = list(upload or []), []
        self.answer = submit or Registered("OA-2026-00000001", "t" * 32, False)
        self.verdicts: list[dict[str, Any]] = []

    async def upload(self, data: bytes, content_type: str, *, bearer: str | None) -> str | Refused:
        return self.uploads.pop(0)

    async def submit(self, body: dict[str, Any], *, bearer: str | None) -> Registered | Refused:
        self.submitted.append(body)
        return self.answer

    async def verdict(self, number: str, **given: Any) -> Refused | None:
        self.verdicts.append({"number": number, **given})
        return None


async def run(platform: FakePlatform, photos: list[handlers.Photo], kept: list[str] = ()):  # type: ignore[assignment]
    return await handlers.submit(platform, T, values=VALUES, lists={}, details=DETAILS, photos=photos, kept=list(kept),
                                 limits=LIMITS, bearer=None)


async def test_photos_go_first_and_are_named_in_the_submission():
    platform = FakePlatform(upload=["p-1", "p-2"])
    outcome = await run(platform, [handlers.Photo(b"x", "image/jpeg"), handlers.Photo(b"y", "image/png")])
    assert isinstance(outcome, Registered)
    assert platform.submitted[0]["attachments"] == ["p-1", "p-2"]


async def test_a_refused_photo_stops_the_submission_and_keeps_those_taken():
    platform = FakePlatform(upload=["p-1", Refused(415, [])])
    outcome = await run(platform, [handlers.Photo(b"x", "image/jpeg"), handlers.Photo(b"y", "image/jpeg")])
    assert outcome == handlers.NotTaken({"photos": "Только фотографии JPEG или PNG."}, ["p-1"])
    assert platform.submitted == []


async def test_too_many_too_large_or_not_a_photo_is_said_before_anything_is_sent():
    platform = FakePlatform()
    too_many = await run(platform, [handlers.Photo(b"x", "image/jpeg")] * 2, kept=["p-0"])
    too_large = await run(platform, [handlers.Photo(b"x" * 101, "image/jpeg")])
    not_a_photo = await run(platform, [handlers.Photo(b"%PDF", "application/pdf")])
    assert too_many.errors == {"photos": "Не больше 2 фото."} and too_many.attachments == ["p-0"]
    assert too_large.errors == {"photos": "Фотография слишком большая: до 0 МБ."}
    assert not_a_photo.errors == {"photos": "Только фотографии JPEG или PNG."}
    assert platform.submitted == []


async def test_a_location_that_is_no_point_is_refused_in_words_not_dropped():
    platform = FakePlatform(upload=["p-1"])
    for broken in ({"lat": "43.2"}, {"lat": "north", "long": "76.9"}):
        outcome = await handlers.submit(platform, T, values={**VALUES, **broken}, lists={}, details=DETAILS,
                                        photos=[handlers.Photo(b"x", "image/jpeg")], kept=[], limits=LIMITS,
                                        bearer=None)
        assert isinstance(outcome, handlers.NotTaken) and outcome.errors["location"].startswith("Не удалось прочитать")
    assert platform.submitted == [] and platform.uploads == ["p-1"], "nothing sent before the form is whole"
    assert isinstance(await run(FakePlatform(), []), Registered)  # no location at all: fine


async def test_intakes_refusal_comes_back_by_field():
    platform = FakePlatform(submit=Refused(422, [{"field": "citizen.phone", "message": "not a valid phone number"}]))
    outcome = await run(platform, [])
    assert outcome == handlers.NotTaken({"phone": "Неверный номер телефона, например: +7 701 123 45 67."}, [])


def test_the_verdict_form_is_read_as_intake_takes_it():
    assert handlers.verdict_from({"rating": "3"}) is None
    assert handlers.verdict_from({"resolved": "no", "rating": "2", "comment": "  всё ещё яма "}) == \
        handlers.Verdict(False, 2, "всё ещё яма")
    assert handlers.verdict_from({"resolved": "yes", "rating": "9", "comment": " "}) == handlers.Verdict(True, None, None)
    assert len(handlers.verdict_from({"resolved": "yes", "comment": "я" * 5000}).comment) == handlers.COMMENT_MAX
