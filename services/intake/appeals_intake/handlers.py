"""Intake's use cases as plain async functions over a unit of work."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID, uuid4, uuid5

from appeals_contracts.prepared_answers import PreparedAnswer, PreparedAnswersError, bundled, checked
from appeals_intake.domain import attachments, duplicates, reappeals, registration, verdict
from appeals_intake.domain.duplicates import Candidate, DuplicateLink, DuplicateProbe
from appeals_intake.domain.reappeals import Earlier, Marks, ReAppeal
from appeals_intake.domain.verdict import Judged, VerdictGiven
from appeals_intake.domain.attachments import AttachmentRef, Stored
from appeals_intake.domain.model import Appeal, Catalog, Reason, SubmitAppeal
from appeals_intake.domain.status import AppealStatus, TimelineEntry, for_citizen, summarize
from appeals_intake.domain.status_token import status_token, token_matches
from appeals_intake.domain.validation import normalised, validate
from appeals_runtime.errors import NotBelieved


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...
    async def get(self, key: str) -> bytes | None: ...
    async def delete(self, key: str) -> None:
        """Remove the object (nothing when it is not there)."""
        ...


class AppealRepository(Protocol):
    async def holders(self, appeal_ids: Sequence[UUID]) -> dict[UUID, set[str]]:
        """The executors each appeal's timeline shows it assigned (or reopened) to."""
        ...
    async def find_by_channel_keys(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Appeal]: ...
    async def allocate_numbers(self, year: int, count: int) -> int: ...
    async def add(self, appeals: Sequence[Appeal]) -> None: ...
    async def get_by_number(self, registration_number: str) -> Appeal | None: ...
    async def by_author(self, subject: str, limit: int) -> list[Appeal]: ...
    async def add_timeline(self, rows: Sequence[tuple[UUID, TimelineEntry]]) -> None: ...
    async def add_attachment(self, stored: Stored, storage_key: str, at: datetime) -> None: ...
    async def earlier_marks(self, wanted: Sequence[Marks], since: datetime) -> list[Earlier]: ...
    async def add_marks(self, rows: Sequence[tuple[UUID, Marks, datetime]]) -> None: ...
    async def add_re_appeals(self, links: Sequence[ReAppeal], at: datetime) -> None: ...
    async def duplicate_candidates(self, probes: Sequence[DuplicateProbe], since: datetime) -> list[Candidate]: ...
    async def add_duplicate_links(self, links: Sequence[DuplicateLink], at: datetime) -> None: ...
    async def add_verdict(self, appeal_id: UUID, answer_id: UUID, resolved: bool, rating: int | None, via: str,
                          at: datetime) -> str | None: ...
    async def attachments(self, ids: Sequence[UUID]) -> dict[UUID, Stored]: ...
    async def uploads_since(self, uploaded_by: str, since: datetime) -> int:
        """Files ``uploaded_by`` uploaded since ``since``."""
        ...
    async def expire_orphans(self, uploaded_before: datetime, limit: int) -> list[str]:
        """Mark up to ``limit`` files no appeal named, uploaded before ``uploaded_before``, as
        expiring (no submission can name them any more); their storage keys, with any marked
        before whose bytes are still to be removed."""
        ...
    async def forget_attachments(self, storage_keys: Sequence[str]) -> None:
        """Remove expiring files' rows once their bytes are gone."""
        ...
    async def link_attachments(self, links: Sequence[tuple[UUID, UUID]]) -> None: ...
    async def link_uploads(self, links: Sequence[tuple[UUID, UUID, str]]) -> None: ...
    async def attachment_key(self, attachment_id: UUID) -> tuple[Stored, str] | None: ...
    async def timeline(self, appeal_id: UUID) -> list[TimelineEntry]: ...
    async def timelines(self, appeal_ids: Sequence[UUID]) -> dict[UUID, list[TimelineEntry]]: ...
    async def by_numbers(self, numbers: Sequence[str]) -> list[Appeal]: ...
    async def prepared_answers(self) -> list[dict[str, Any]]:
        """The prepared answers staff changed (code, topic, title, text, active)."""
        ...
    async def put_prepared_answer(self, answer: dict[str, Any], by: str, at: datetime) -> None: ...
    async def by_marks(self, keys: Sequence[tuple[str, str]], limit: int) -> list[Appeal]:
        """The appeals kept under any of the keyed hashes, newest first."""
        ...
    async def registered_between(self, start: datetime, end: datetime, categories: Sequence[str], *,
                                 before: tuple[datetime, str] | None, limit: int) -> list[Appeal]: ...


class UnitOfWork(Protocol):
    appeals: AppealRepository

    def registered(self, appeal: Appeal) -> UUID:
        """Announce a registration (through the outbox); returns the event id."""
        ...

    def rejected(self, cmd: SubmitAppeal, reasons: Sequence[Reason], at: datetime, *, announce: bool = True) -> None:
        """Count a refused submission and, with ``announce``, announce it (through the outbox)."""
        ...

    def duplicate(self, appeal: Appeal, link: DuplicateLink, at: datetime) -> UUID:
        """Announce that ``appeal`` may duplicate an open one; returns the event id."""
        ...

    def re_appeal(self, appeal: Appeal, link: ReAppeal, at: datetime) -> UUID:
        """Announce that ``appeal`` is a re-appeal of an earlier one (no personal data); returns the event id."""
        ...

    def verdict(self, appeal: Appeal, judged: Judged, resolved: bool, rating: int | None, at: datetime) -> UUID:
        """Announce the citizen's verdict (appeal.citizen_verdict); returns the event id."""
        ...

    def verdict_refused(self, channel: str, channel_message_id: str, reason: str, at: datetime) -> None:
        """Tell the adapter why a verdict given in its channel was refused."""
        ...


@dataclass(frozen=True)
class Registered:
    appeal: Appeal
    repeated: bool  # True when the submission repeated one registered before


@dataclass(frozen=True)
class Rejected:
    reasons: list[Reason]


@dataclass(frozen=True)
class Conflict:
    """Another sender's idempotency key: nothing of the appeal registered under it is told."""

    reason: str = "channel_message_id is taken; send a new one"


Outcome = Registered | Rejected | Conflict


async def submit_appeals(
    uow: UnitOfWork, commands: Sequence[SubmitAppeal], *, catalog: Catalog, prefix: str, now: datetime,
    token_secret: bytes, new_id: Callable[[], UUID] = uuid4, announce_rejections: bool = True,
    reappeal_period: timedelta = timedelta(days=90), duplicate_window: timedelta = timedelta(days=14),
) -> list[Outcome]:
    """Validate, deduplicate, number and store submissions; announce each outcome.

    A repeat of a known (channel, channel message id) by the same sender returns the first
    registration and announces nothing new; by another sender it is a :class:`Conflict`.
    Outcomes come back in the order of ``commands``.
    """
    known = await uow.appeals.find_by_channel_keys(sorted({c.channel_key for c in commands}))
    files = await _attachment_checks(uow, commands, known)
    earlier = await _linked_knowingly(uow, commands)
    offered = await _prepared_codes(uow, commands, catalog)
    link_key = reappeals.link_key(token_secret)
    reasons = [validate(cmd, catalog) + problems + _prepared_problems(cmd, offered)
               for cmd, problems in zip(commands, files.problems, strict=True)]
    commands = [cmd if problems else normalised(cmd, catalog) for cmd, problems in zip(commands, reasons, strict=True)]
    reasons = [problems or _earlier_problems(cmd, earlier, link_key)
               for cmd, problems in zip(commands, reasons, strict=True)]
    valid = [cmd for cmd, r in zip(commands, reasons, strict=True) if not r]
    plan = registration.plan(valid, {k: a for k, a in known.items() if k in {c.channel_key for c in valid}})
    appeals: dict[tuple[str, str], Appeal] = dict(known)
    if plan.new:
        year = registration.registration_year(now)
        first = await uow.appeals.allocate_numbers(year, len(plan.new))
        numbered = [replace(a, status_token=status_token(token_secret, a.appeal_id),
                            attachments=tuple(files.stored[i].ref for i in a.submission.attachments))
                    for a in registration.number_appeals(plan.new, prefix=prefix, year=year, first_sequence=first,
                                                         registered_at=now, new_id=new_id)]
        await uow.appeals.add(numbered)
        await uow.appeals.link_attachments([(a.appeal_id, i) for a in numbered for i in a.submission.attachments])
        entries = []
        for appeal in numbered:
            appeals[appeal.submission.channel_key] = appeal
            event_id = uow.registered(appeal)
            entries.append((appeal.appeal_id, TimelineEntry(
                str(event_id), "appeal.registered", now, {"registration_number": appeal.registration_number})))
            if (given := appeal.submission.consultation) is not None:  # closed at once, with its answer
                entries.append((appeal.appeal_id, TimelineEntry(
                    str(uuid5(event_id, "consultation")), "appeal.consultation_answered", now, {"answer": given.answer})))
        await uow.appeals.add_timeline(entries)
        await _link_re_appeals(uow, numbered, key=link_key, period=reappeal_period, now=now, knowingly=earlier)
        await _link_duplicates(uow, numbered, radius=catalog.duplicate_radius_m, window=duplicate_window, now=now)
    new_keys = {id(cmd) for cmd in plan.new}
    outcomes: list[Outcome] = []
    for cmd, problems in zip(commands, reasons, strict=True):
        if problems:
            uow.rejected(cmd, problems, now, announce=announce_rejections)
            outcomes.append(Rejected(problems))
        elif id(cmd) not in new_keys and not _same_sender(appeals[cmd.channel_key].submission, cmd):
            outcomes.append(Conflict())
        else:
            outcomes.append(Registered(appeals[cmd.channel_key], repeated=id(cmd) not in new_keys))
    return outcomes


def _same_sender(first: SubmitAppeal, repeat: SubmitAppeal) -> bool:
    """Whether a repeat of an idempotency key comes from the one who used it first. Only an
    HTTP sender is known (its token's subject); a repeat on the topic is told nothing anyway."""
    return repeat.submitted_by is None or repeat.submitted_by == first.submitted_by


async def _link_duplicates(uow: UnitOfWork, appeals: Sequence[Appeal], *, radius: Mapping[str, float],
                           window: timedelta, now: datetime) -> None:
    """Link each new appeal of a category with a radius to the earliest open appeal nearby."""
    mine = [a for a in appeals if a.submission.category in radius]
    if not mine:
        return
    news = [duplicates.Candidate(a.appeal_id, a.registration_number, a.registered_at, a.submission.category,
                                 a.submission.location, a.submission.address, True) for a in mine]
    candidates = await uow.appeals.duplicate_candidates(
        [duplicates.probe(n, radius[n.category]) for n in news], now - window)
    by_category: dict[str, list[duplicates.Candidate]] = {}
    for c in [*candidates, *news]:  # the batch's own earlier ones too
        by_category.setdefault(c.category, []).append(c)
    links = [link for n in news if (link := duplicates.original_of(n, by_category[n.category],
                                                                     radius_m=radius[n.category], window=window))]
    if links:
        await uow.appeals.add_duplicate_links(links, now)
        await _announce_links(uow, appeals, links, uow.duplicate, "appeal.duplicate_linked", now, lambda link: {
            "original_registration_number": link.original.registration_number, "matched_by": link.matched_by})


async def _prepared_codes(uow: UnitOfWork, commands: Sequence[SubmitAppeal], catalog: Catalog) -> frozenset[str]:
    """The codes of the prepared answers offered now (read only when a submission names one)."""
    if not any(c.consultation and c.consultation.prepared_answer for c in commands):
        return frozenset()
    return frozenset(a.code for a in await prepared_answers(uow, topics=catalog.categories) if a.active)


def _prepared_problems(cmd: SubmitAppeal, offered: frozenset[str]) -> list[Reason]:
    named = cmd.consultation.prepared_answer if cmd.consultation else None
    if named is not None and named not in offered:
        return [Reason("consultation.prepared_answer", f"no prepared answer {named!r} is offered")]
    return []


async def prepared_answers(uow: UnitOfWork, *, topics: frozenset[str]) -> list[PreparedAnswer]:
    """The prepared answers: the shipped ones, each overridden by staff's change of its code;
    by topic, then code. Retired ones (``active`` false) are in the list, marked."""
    found = dict(bundled(topics))
    for row in await uow.appeals.prepared_answers():
        found[row["code"]] = PreparedAnswer(row["code"], row["topic"], row["title"], row["text"], row["active"])
    return sorted(found.values(), key=lambda a: (a.topic, a.code))


async def change_prepared_answer(uow: UnitOfWork, item: Mapping[str, Any], *, topics: frozenset[str], by: str,
                                 now: datetime) -> PreparedAnswer | Refused:
    """A prepared answer added or changed by staff (``by``: their token's subject), checked like the
    shipped ones; 422 with the reason when it is not one."""
    try:
        answer = checked(item, topics=topics)
    except PreparedAnswersError as refused:
        return Refused(422, str(refused))
    await uow.appeals.put_prepared_answer(answer.as_json(), by, now)
    return answer


async def _linked_knowingly(uow: UnitOfWork, commands: Sequence[SubmitAppeal]) -> dict[str, Appeal]:
    """The earlier appeals operators named (``re_appeal_of``), by number."""
    numbers = sorted({c.re_appeal_of for c in commands if c.re_appeal_of})
    return {a.registration_number: a for a in await uow.appeals.by_numbers(numbers)} if numbers else {}


def _earlier_problems(cmd: SubmitAppeal, earlier: Mapping[str, Appeal], key: bytes) -> list[Reason]:
    """The earlier appeal an operator names must exist and be the caller's (a key in common)."""
    if cmd.re_appeal_of is None:
        return []
    if cmd.re_appeal_of not in earlier:
        return [Reason("re_appeal_of", f"no appeal numbered {cmd.re_appeal_of}")]
    if reappeals.shared_key(reappeals.marks_of(cmd, key), reappeals.marks(earlier[cmd.re_appeal_of], key)) is None:
        return [Reason("re_appeal_of", "the caller's IIN, phone or e-mail is not on that appeal")]
    return []


async def _link_re_appeals(uow: UnitOfWork, appeals: Sequence[Appeal], *, key: bytes, period: timedelta,
                           now: datetime, knowingly: Mapping[str, Appeal] | None = None) -> None:
    """Recognise each new appeal's citizen (keyed hashes) among the period's earlier appeals,
    and the batch's own earlier ones; record the marks, link and announce re-appeals. An appeal
    whose operator named the earlier one (``re_appeal_of``) is linked to it, matched by the operator."""
    knowingly = knowingly or {}
    marked = [(a, m) for a in appeals if (m := reappeals.marks(a, key)) is not None]
    named = [reappeals.ReAppeal(a.appeal_id, _as_earlier(earlier), matched_by, knowingly=True)
             for a, m in marked if (earlier := knowingly.get(a.submission.re_appeal_of or "")) is not None
             and (matched_by := reappeals.shared_key(m, reappeals.marks(earlier, key))) is not None]
    if not marked:
        return
    earlier = await uow.appeals.earlier_marks([m for _, m in marked], now - period)
    seen = {link.appeal_id for link in named}
    links = named + [link for link in reappeals.link_batch(marked, earlier, period) if link.appeal_id not in seen]
    await uow.appeals.add_marks([(a.appeal_id, m, a.registered_at) for a, m in marked])
    if links:
        await uow.appeals.add_re_appeals(links, now)
        await _announce_links(uow, appeals, links, uow.re_appeal, "appeal.re_appeal_linked", now, lambda link: {
            "earlier_registration_number": link.earlier.registration_number, "matched_by": link.matched_by,
            **({"linked_by_operator": True} if link.knowingly else {})})


def _as_earlier(appeal: Appeal) -> Earlier:
    s = appeal.submission
    return Earlier(appeal.appeal_id, appeal.registration_number, appeal.registered_at, frozenset(), s.category,
                   f"district:{s.district}" if s.district else None)


async def _announce_links(uow: UnitOfWork, appeals: Sequence[Appeal], links: Sequence[Any],
                          announce: Callable[[Appeal, Any, datetime], Any], event_type: str, now: datetime,
                          details: Callable[[Any], dict[str, Any]]) -> None:
    """Announce each link of a new appeal (``announce`` returns the event's id) and put it
    on that appeal's status timeline, all in one statement."""
    by_id = {a.appeal_id: a for a in appeals}
    await uow.appeals.add_timeline([(link.appeal_id, TimelineEntry(
        str(announce(by_id[link.appeal_id], link, now)), event_type, now, details(link))) for link in links])


@dataclass(frozen=True)
class _Files:
    stored: dict[UUID, Stored]
    problems: list[list[Reason]]  # per command


async def _attachment_checks(uow: UnitOfWork, commands: Sequence[SubmitAppeal],
                             known: dict[tuple[str, str], Appeal]) -> _Files:
    """Each submission may refer only to uploaded files no other appeal has; a repeat of a
    registered submission still finds its own files, and two submissions of one batch cannot
    share one."""
    ids = sorted({i for cmd in commands for i in cmd.attachments})
    stored = await uow.appeals.attachments(ids) if ids else {}
    claimed: set[UUID] = set()
    problems: list[list[Reason]] = []
    for cmd in commands:
        own = known.get(cmd.channel_key)
        view = {i: replace(s, appeal_id=None) if own is not None and s.appeal_id == own.appeal_id else s
                for i, s in stored.items()}
        found = attachments.reference_problems(cmd.attachments, view)
        if own is None and claimed & set(cmd.attachments):
            found.append("an attachment already belongs to another appeal")
        claimed |= set(cmd.attachments)
        problems.append([Reason("attachments", p) for p in dict.fromkeys(found)])
    return _Files(stored, problems)


@dataclass(frozen=True)
class Refused:
    """A request refused (an upload, a prepared answer): the HTTP status that says why, and the reason."""

    status: int
    reason: str


async def upload_attachment(uow: UnitOfWork, store: ObjectStore, data: bytes, declared_type: str, *,
                            uploaded_by: str, now: datetime, max_bytes: int, quota: int,
                            strip: Callable[[bytes, str], Awaitable[bytes]], new_id: Callable[[], UUID] = uuid4,
                            ) -> AttachmentRef | Refused:
    """Check, clean (an image loses its metadata), store and record one file; it belongs to no
    appeal until a submission names it. The bytes are in the store before the row commits: a
    failed commit leaves an orphan object, never a row without its bytes. A caller who uploaded
    ``quota`` files in the last hour is refused (429) before anything is decoded."""
    if await uow.appeals.uploads_since(uploaded_by, now - timedelta(hours=1)) >= quota:
        return Refused(429, f"at most {quota} files an hour may be uploaded; try again later")
    content_type = declared_type.split(";")[0].strip().lower()
    if problem := attachments.upload_problem(content_type, data, max_bytes):
        status = 415 if "content type" in problem else 413 if "larger" in problem else 422
        return Refused(status, problem)
    if content_type in attachments.IMAGES:
        try:
            data = await strip(data, content_type)
        except ValueError as unreadable:
            return Refused(422, str(unreadable))
    ref = AttachmentRef(new_id(), content_type, len(data), hashlib.sha256(data).hexdigest())
    key = f"attachments/{ref.attachment_id}"
    await store.put(key, data, content_type)
    await uow.appeals.add_attachment(Stored(ref, None, uploaded_by), key, now)
    return ref


async def expire_orphan_attachments(uow: UnitOfWork, *, now: datetime, ttl: timedelta, limit: int) -> list[str]:
    """Files no submission named within ``ttl``: marked expiring (none can be named from now
    on); the storage keys whose bytes are to be deleted, then forgotten."""
    return await uow.appeals.expire_orphans(now - ttl, limit)


async def delete_objects(store: ObjectStore, keys: Sequence[str]) -> tuple[list[str], list[str]]:
    """Delete each object, outside any transaction: (the keys deleted, the names of the faults
    of those that were not). A key not deleted stays expiring and is tried again next round."""
    deleted, faults = [], []
    for key in keys:
        try:
            await store.delete(key)
        except Exception as exc:  # noqa: BLE001 - whatever the store says, the next round tries again
            faults.append(type(exc).__name__)
            continue
        deleted.append(key)
    return deleted, faults


async def attachment_for(uow: UnitOfWork, store: ObjectStore, attachment_id: UUID, *, executor: str | None,
                         staff: bool) -> tuple[AttachmentRef, bytes] | Refused:
    """A file of an appeal, for staff or for the executor holding the appeal (``executor``); a
    file no submission has named yet, for staff only (an operator checks the photo just uploaded
    on a call)."""
    found = await uow.appeals.attachment_key(attachment_id)
    if found is None or (found[0].appeal_id is None and not staff):
        return Refused(404, f"no attachment {attachment_id}")
    stored, key = found
    if not staff:
        holder = summarize(await uow.appeals.timeline(stored.appeal_id)).executor_code
        if executor is None or holder != executor:
            return Refused(403, "only the executor holding the appeal, or staff, may fetch its files")
    data = await store.get(key)
    if data is None:
        return Refused(404, f"attachment {attachment_id} is missing from the store")
    return stored.ref, data


@dataclass(frozen=True)
class VerdictTaken:
    appeal: Appeal
    resolved: bool
    rating: int | None
    repeated: bool  # the same message again: nothing new recorded


async def give_verdict(uow: UnitOfWork, registration_number: str, *, resolved: bool, rating: int | None,
                       via: str, now: datetime, window: timedelta, token: str | None = None,
                       token_secret: bytes | None = None, author: str | None = None,
                       comment: str | None = None) -> VerdictTaken | Refused:
    """The citizen's verdict on the accepted answer, proven by the status token (or the author's
    own sign-in): recorded once per answer, announced, and kept in the timeline. 404 for an
    unknown number or a wrong token (alike), 409 when there is nothing to judge now."""
    view = await appeal_status(uow, registration_number, token=token, token_secret=token_secret, author=author)
    if view is None:
        return Refused(404, f"no appeal numbered {registration_number}")
    if rating is not None and not 1 <= rating <= 5:
        return Refused(422, "rating must be 1 to 5")
    judged = verdict.judged_answer(view.status, now=now, window=window)
    if isinstance(judged, str):
        return Refused(409, judged)
    earlier = await uow.appeals.add_verdict(view.appeal.appeal_id, judged.answer_id, resolved, rating, via, now)
    if earlier is not None:
        if earlier == via:  # the adapter's own message again
            return VerdictTaken(view.appeal, resolved, rating, repeated=True)
        return Refused(409, "a verdict on this answer was already given")
    event_id = uow.verdict(view.appeal, judged, resolved, rating, now, (comment or "").strip()[:2000] or None)
    await uow.appeals.add_timeline([(view.appeal.appeal_id, TimelineEntry(
        str(event_id), "appeal.citizen_verdict", now,
        {"answer_id": str(judged.answer_id), "resolved": resolved, "rating": rating}))])
    return VerdictTaken(view.appeal, resolved, rating, repeated=False)


async def verdicts_from_channels(uow: UnitOfWork, given: Sequence[VerdictGiven], *, token_secret: bytes,
                                 now: datetime, window: timedelta) -> None:
    """Verdicts adapters hand over from citizens' channels; each refusal is told back."""
    for g in given:
        outcome = await give_verdict(uow, g.registration_number, resolved=g.resolved, rating=g.rating,
                                     via=f"{g.channel}:{g.channel_message_id}", now=now, window=window,
                                     token=g.status_token, token_secret=token_secret, comment=g.comment)
        if isinstance(outcome, Refused):
            reason = "unknown appeal, or a wrong status token" if outcome.status == 404 else outcome.reason
            uow.verdict_refused(g.channel, g.channel_message_id, reason, now)


_ASSIGNING = ("appeal.assigned", "appeal.reopened")


#: Events of the progress topics the citizen's timeline leaves out: who inside the executor is
#: responsible is the executor's and the inspectors' business.
NOT_IN_TIMELINE = frozenset({"appeal.assignee_changed"})


async def link_answer_photos(uow: UnitOfWork, photos: Sequence[tuple[UUID, UUID, str]]) -> None:
    """(appeal, attachment, employee): the photos an answer names belong to its appeal from now
    on (so the executor holding it and staff may fetch them, and they do not expire), each only
    if that employee uploaded it and no appeal has it yet."""
    if photos:
        await uow.appeals.link_uploads(photos)


async def record_progress(uow: UnitOfWork, entries: Sequence[tuple[UUID, TimelineEntry]]) -> None:
    """Add other services' events to their appeals' timelines (the status read model). An answer
    the citizen would read is believed only from an executor the appeal was assigned to."""
    if not entries:
        return
    answered = [appeal_id for appeal_id, e in entries if e.event_type == "appeal.answered"]
    if answered:
        holders = await uow.appeals.holders(answered)
        for appeal_id, entry in entries:  # anywhere in the batch: topics come in no set order
            if entry.event_type in _ASSIGNING and entry.details.get("executor_code"):
                holders.setdefault(appeal_id, set()).add(entry.details["executor_code"])
        for appeal_id, entry in entries:
            executor = entry.details.get("executor_code")
            if entry.event_type == "appeal.answered" and holders.get(appeal_id) \
                    and executor not in holders[appeal_id]:
                raise NotBelieved(f"appeal.answered from executor {executor!r} for appeal {appeal_id}, which was "
                                  f"never assigned to it")
    await uow.appeals.add_timeline(entries)


@dataclass(frozen=True)
class StatusView:
    appeal: Appeal
    status: AppealStatus


async def appeal_status(uow: UnitOfWork, registration_number: str, *, token: str | None = None,
                        token_secret: bytes | None = None, author: str | None = None) -> StatusView | None:
    """The appeal's current status and timeline, or ``None`` when the number is unknown. With
    ``token_secret`` (a citizen asking) also ``None`` unless ``token`` is the appeal's status
    token or ``author`` (the subject of the citizen's verified token) is the appeal's author:
    a guessed number looks exactly like an unknown one."""
    appeal = await uow.appeals.get_by_number(registration_number)
    if appeal is None:
        return None
    if token_secret is not None and not (
            token_matches(token_secret, appeal.appeal_id, token)
            or (author is not None and appeal.submission.author_subject == author)):
        return None
    timeline = await uow.appeals.timeline(appeal.appeal_id)
    return StatusView(appeal, summarize(timeline if token_secret is None else for_citizen(timeline)))


async def caller_appeals(uow: UnitOfWork, *, iin: str | None, phone: str | None, email: str | None,
                         token_secret: bytes, limit: int = 20) -> list[StatusView]:
    """A caller's earlier appeals, newest first, for the operator who has them on the line:
    found through the keyed hashes re-appeals are recognised by (an IIN, a phone in E.164, an
    e-mail), so no contact is searched in clear. Staff's view: the whole timeline."""
    keys = reappeals.caller_keys(reappeals.link_key(token_secret), iin=iin, phone=phone, email=email)
    if not keys:
        return []
    found = await uow.appeals.by_marks(keys, limit)
    timelines = await uow.appeals.timelines([a.appeal_id for a in found])
    return [StatusView(a, summarize(timelines.get(a.appeal_id, []))) for a in found]


async def caller_status(uow: UnitOfWork, registration_number: str, *, iin: str | None, phone: str | None,
                        email: str | None, token_secret: bytes) -> StatusView | None:
    """The appeal's status for an operator whose caller gave its number and confirmed who they
    are (an IIN, phone or e-mail the appeal carries, compared as keyed hashes); ``None`` for an
    unknown number and for a caller who did not confirm alike (an anonymous appeal: never)."""
    appeal = await uow.appeals.get_by_number(registration_number)
    key = reappeals.link_key(token_secret)
    mine = reappeals.marks(appeal, key) if appeal is not None else None
    given = set(reappeals.caller_keys(key, iin=iin, phone=phone, email=email))
    if appeal is None or mine is None or not given & set(mine.keys):
        return None
    return StatusView(appeal, summarize(await uow.appeals.timeline(appeal.appeal_id)))


def check_submission(cmd: SubmitAppeal, catalog: Catalog) -> list[Reason]:
    """Every reason ``cmd`` would be refused, without registering or counting anything: the
    operators' desk asks while the operator types. Files and a named earlier appeal are checked
    when it is submitted."""
    return validate(cmd, catalog)


async def authored_appeals(uow: UnitOfWork, subject: str, *, limit: int = 100) -> list[StatusView]:
    """The appeals a signed-in citizen submitted in person, newest first."""
    return [StatusView(a, summarize(for_citizen(await uow.appeals.timeline(a.appeal_id))))
            for a in await uow.appeals.by_author(subject, limit)]


async def public_requests(uow: UnitOfWork, *, numbers: Sequence[str] = (), categories: Sequence[str] = (),
                          start: datetime, end: datetime, statuses: Callable[[AppealStatus], bool] = lambda s: True,
                          limit: int = 1000, page: int = 500) -> list[StatusView]:
    """Appeals for Open311's request lists, newest first: by number when ``numbers`` are given
    (they override everything else), else registered in [start, end] in ``categories`` (all when
    empty) whose status passes ``statuses``; at most ``limit``. Read a page at a time, each
    page's timelines in one statement, until ``limit`` pass the status filter."""
    if numbers:
        appeals = await uow.appeals.by_numbers(numbers)
        timelines = await uow.appeals.timelines([a.appeal_id for a in appeals])
        return [StatusView(a, summarize(for_citizen(timelines.get(a.appeal_id, [])))) for a in appeals][:limit]
    found: list[StatusView] = []
    before: tuple[datetime, str] | None = None
    while len(found) < limit:
        appeals = await uow.appeals.registered_between(start, end, categories, before=before, limit=page)
        if not appeals:
            break
        timelines = await uow.appeals.timelines([a.appeal_id for a in appeals])
        for a in appeals:
            view = StatusView(a, summarize(for_citizen(timelines.get(a.appeal_id, []))))
            if statuses(view.status):
                found.append(view)
        last = appeals[-1]
        before = (last.registered_at, last.registration_number)
        if len(appeals) < page:
            break
    return found[:limit]


def timeline_details(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What the timeline keeps of another service's event: codes, times and the accepted
    answer; never contact details."""
    keep = {
        "appeal.assigned": ("executor_code", "previous_executor_code", "reason"),
        "appeal.not_routed": ("reason",),
        "appeal.answered": ("executor_code", "submitted_at", "received_at"),
        "deadline.scheduled": ("due_at", "policy_code"),
        "deadline.extended": ("due_at", "previous_due_at", "reason"),  # the executor's reason, for the citizen
        "deadline.extension_refused": ("due_at",),
        "deadline.breached": ("due_at",),
        "deadline.closed": ("due_at", "on_time", "answered_at"),
        "deadline.forwarding_breached": ("forwarding_due_at", "forwarded_at", "from_executor_code"),
        "deadline.extension_notice_late": ("notice_due_at", "delivered_at"),
        "inspection.answer_returned": ("reason_code",),
        "inspection.answer_accepted": ("executor_code", "answer_id"),
        "appeal.reopened": ("executor_code", "previous_answer_id"),
        "inspection.appeal_merged": ("into_appeal_id", "into_registration_number"),
        "inspection.appeal_unmerged": ("from_appeal_id",),
        "inspection.answer_shared": ("original_registration_number", "executor_code"),
        "deadline.stopped": ("reason", "due_at"),
        "appeal.citizen_verdict": ("answer_id", "resolved", "rating"),
    }.get(event_type, ())
    details = {k: payload[k] for k in keep if payload.get(k) is not None}
    if event_type in ("inspection.answer_accepted", "inspection.answer_shared"):
        details["answer"] = payload.get("answer_text")
    return details
