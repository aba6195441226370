"""The portal's use cases, over the platform's public APIs (:class:`PlatformApi`): a
submission with its photos, and a citizen's verdict. Plain async functions that say what
happened; the pages are the entrypoint's business."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from appeals_portal.domain import form as forms
from appeals_runtime.i18n import Texts  # any language's catalogue: the portal's words or another

#: Photos a phone's camera makes and intake takes.
PHOTO_TYPES = ("image/jpeg", "image/png")
#: A verdict's comment, as intake takes it.
COMMENT_MAX = 2000


@dataclass(frozen=True)
class Registered:
    number: str
    token: str
    repeated: bool


@dataclass(frozen=True)
class Refused:
    """Intake said no: its status, and its reasons (``field``, ``message``) or its detail."""

    status: int
    reasons: list[dict[str, str]]


class PlatformApi(Protocol):
    """What the use cases call (:class:`appeals_portal.adapters.platform.Platform`); each call
    may raise :class:`~appeals_portal.adapters.platform.Unavailable`."""

    async def upload(self, data: bytes, content_type: str, *, bearer: str | None) -> str | Refused: ...
    async def submit(self, body: dict[str, Any], *, bearer: str | None) -> Registered | Refused: ...
    async def verdict(self, number: str, *, resolved: bool, rating: int | None, comment: str | None = None,
                      token: str = "", bearer: str | None = None) -> Refused | None: ...


@dataclass(frozen=True)
class Photo:
    """A photo as the browser sent it (read up to one byte past the limit)."""

    data: bytes = field(repr=False)
    content_type: str


@dataclass(frozen=True)
class NotTaken:
    """The submission was not registered: sentences by form field, and the photos intake has
    already (kept for the next try, so the citizen need not choose them again)."""

    errors: dict[str, str]
    attachments: list[str]


@dataclass(frozen=True)
class Limits:
    max_photos: int
    photo_max_bytes: int


async def submit(platform: PlatformApi, t: Texts, *, values: Mapping[str, str], lists: Mapping[str, Sequence[str]],
                 details: Sequence[forms.Detail], photos: Sequence[Photo], kept: Sequence[str], limits: Limits,
                 bearer: str | None) -> Registered | NotTaken:
    """Photos to intake first (each refused one said in words), then the submission as typed;
    intake's refusals come back as sentences by field."""
    attachments = list(kept)
    megabytes = limits.photo_max_bytes // (1024 * 1024)
    try:
        forms.location(values)
    except ValueError:  # the hidden fields were changed by hand: said, not dropped
        return NotTaken({"location": t("err_location_unreadable")}, attachments)
    if len(kept) + len(photos) > limits.max_photos:
        return NotTaken({"photos": t("err_too_many_photos", count=limits.max_photos)}, attachments)
    for photo in photos:
        if photo.content_type not in PHOTO_TYPES:
            return NotTaken({"photos": t("err_photo_type")}, attachments)
        if len(photo.data) > limits.photo_max_bytes:
            return NotTaken({"photos": t("err_photo_size", mb=megabytes)}, attachments)
        stored = await platform.upload(photo.data, photo.content_type, bearer=bearer)
        if isinstance(stored, Refused):
            said = t("err_photo_size", mb=megabytes) if stored.status == 413 else \
                t("err_photo_type") if stored.status in (415, 422) else t("err_photos")
            return NotTaken({"photos": said}, attachments)
        attachments.append(stored)
    body = forms.submission(values, lists, details, page_language=t.language, message_id=values["message_id"],
                            attachments=attachments)
    outcome = await platform.submit(body, bearer=bearer)
    if isinstance(outcome, Refused):
        return NotTaken(forms.refusals(outcome.reasons, t), attachments)
    return outcome


@dataclass(frozen=True)
class Verdict:
    resolved: bool
    rating: int | None
    comment: str | None


def verdict_from(form: Mapping[str, str]) -> Verdict | None:
    """The verdict form's answer, or None when "resolved?" was not answered."""
    resolved = {"yes": True, "no": False}.get(form.get("resolved", ""))
    if resolved is None:
        return None
    rating = int(form["rating"]) if form.get("rating", "") in ("1", "2", "3", "4", "5") else None
    return Verdict(resolved, rating, form.get("comment", "").strip()[:COMMENT_MAX] or None)


async def judge(platform: PlatformApi, number: str, verdict: Verdict, *, token: str,
                bearer: str | None) -> Refused | None:
    """The citizen's verdict to intake (which checks the token and the window); None when taken."""
    return await platform.verdict(number, resolved=verdict.resolved, rating=verdict.rating, comment=verdict.comment,
                                  token=token, bearer=bearer)
