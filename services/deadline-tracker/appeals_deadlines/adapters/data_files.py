"""Reading the calendar and the deadline policies from their versioned YAML files."""

from __future__ import annotations

from datetime import time
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from appeals_deadlines.domain.calendar import WorkingCalendar, calendar_from_data
from appeals_deadlines.domain.policies import Period, Policy, Regime, policy_problems


class PolicyFileError(ValueError):
    """The policy or calendar file is malformed or inconsistent; the service refuses to start."""


def bundled(name: str) -> Path:
    return Path(str(resources.files("appeals_deadlines.data").joinpath(name)))


def _period(raw: Any, where: str) -> Period:
    try:
        return Period(int(raw["amount"]), str(raw["unit"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise PolicyFileError(f"{where}: a period needs an integer amount and a unit") from exc


def _working_hours(raw: Any, where: str) -> tuple[time, time] | None:
    if raw is None:
        return None
    try:
        start, end = time.fromisoformat(str(raw["start"])), time.fromisoformat(str(raw["end"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise PolicyFileError(f"{where}: working_hours needs start and end as HH:MM") from exc
    if not start < end:
        raise PolicyFileError(f"{where}: working_hours must start before they end")
    return start, end


def read_calendar(path: Path | None = None) -> WorkingCalendar:
    data = yaml.safe_load((path or bundled("kz_calendar.yaml")).read_text("utf-8"))
    return calendar_from_data(data["years"])


def read_regime(families: frozenset[str], path: Path | None = None, regime: str | None = None) -> Regime:
    """The regime in force, checked for consistency; raises :class:`PolicyFileError`."""
    path = path or bundled("policies.yaml")
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyFileError(f"{path}: {exc}") from exc
    name = regime or data.get("regime")
    raw = (data.get("regimes") or {}).get(name)
    if raw is None:
        raise PolicyFileError(f"{path}: no regime {name!r} (known: {', '.join(data.get('regimes') or {})})")
    policies = {}
    for code, p in (raw.get("policies") or {}).items():
        where = f"{path.name}: {name}.{code}"
        optional = {k: _period(p[k], where) for k in ("extended_period", "applicant_notice_within",
                                                       "forwarding_within") if p.get(k)}
        policies[code] = Policy(code=f"{name}.{code}", period=_period(p.get("period"), where),
                                extended_period=optional.pop("extended_period", None),
                                reminders=tuple(_period(r, where) for r in p.get("reminders") or ()), **optional)
    result = Regime(name, policies, dict(raw.get("by_channel_family") or {}),
                    _working_hours(raw.get("working_hours"), f"{path.name}: {name}"), raw.get("reopened"))
    problems = policy_problems(result, families)
    if problems:
        raise PolicyFileError(f"{path.name} refused: " + "; ".join(problems))
    return result
