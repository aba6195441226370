"""Deduplication and numbering of a batch of valid submissions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from appeals_contracts.languages import ALMATY
from appeals_intake.domain.model import Appeal, SubmitAppeal


def registration_year(at: datetime) -> int:
    """Numbers run per calendar year in Almaty time."""
    return at.astimezone(ALMATY).year


def format_number(prefix: str, year: int, sequence: int) -> str:
    """``OA-2026-00012345``: prefix, year, an eight-digit sequence (wider past 99,999,999)."""
    return f"{prefix}-{year}-{sequence:08d}"


@dataclass(frozen=True)
class Plan:
    """Which submissions are new and which repeat an appeal already known."""

    new: list[SubmitAppeal]
    repeats: list[tuple[SubmitAppeal, tuple[str, str]]]  # the submission and the key it repeats


def plan(valid: Sequence[SubmitAppeal], known: Mapping[tuple[str, str], Appeal]) -> Plan:
    """The first submission per (channel, channel message id) is new unless already known;
    every later one (in the database or earlier in the batch) is a repeat of that first."""
    new: list[SubmitAppeal] = []
    repeats: list[tuple[SubmitAppeal, tuple[str, str]]] = []
    seen: set[tuple[str, str]] = set(known)
    for cmd in valid:
        if cmd.channel_key in seen:
            repeats.append((cmd, cmd.channel_key))
        else:
            seen.add(cmd.channel_key)
            new.append(cmd)
    return Plan(new, repeats)


def number_appeals(
    new: Sequence[SubmitAppeal], *, prefix: str, year: int, first_sequence: int,
    registered_at: datetime, new_id: Callable[[], UUID],
) -> list[Appeal]:
    """Give each new submission the next number of the year, in order."""
    return [
        Appeal(new_id(), format_number(prefix, year, first_sequence + i), registered_at, cmd)
        for i, cmd in enumerate(new)
    ]
