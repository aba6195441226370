"""Registering submissions: validation, idempotency, attachments, duplicates and re-appeals linked."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4, uuid5

from appeals_intake.domain import attachments, duplicates, reappeals, registration
from appeals_intake.domain.reappeals import Earlier
from appeals_intake.domain.attachments import Stored
from appeals_intake.domain.model import Appeal, Catalog, Reason, SubmitAppeal
from appeals_intake.domain.status import TimelineEntry
from appeals_intake.domain.status_token import status_token
from appeals_intake.domain.validation import normalised, validate
from appeals_intake.handlers.operators import prepared_answers
from appeals_intake.handlers.ports import Conflict, Outcome, Registered, Rejected, UnitOfWork


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
    named = [reappeals.ReAppeal(a.appeal_id, _as_earlier(named_one), matched_by, knowingly=True)
             for a, m in marked if (named_one := knowingly.get(a.submission.re_appeal_of or "")) is not None
             and (matched_by := reappeals.shared_key(m, reappeals.marks(named_one, key))) is not None]
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
