"""How the queue and the case read to an employee: the marks of due times, the filters a page
may ask for. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

#: The due filters routing knows: overdue, or due within a day.
DUE_FILTERS = ("overdue", "day")


def due_mark(due_at: datetime | str | None, now: datetime) -> str | None:
    """``overdue`` past the due time, ``soon`` within a day of it, else None."""
    if due_at is None:
        return None
    due = datetime.fromisoformat(due_at) if isinstance(due_at, str) else due_at
    if due <= now:
        return "overdue"
    return "soon" if due - now <= timedelta(days=1) else None


@dataclass(frozen=True)
class Filters:
    category: str = ""
    district: str = ""
    assignee: str = ""  # an employee id, "me", "none", or "" for anyone
    due: str = ""

    def for_routing(self, me: str) -> dict[str, str]:
        """The query routing takes: ``assignee`` as an employee id, or empty for nobody yet."""
        query = {"category": self.category, "district": self.district, "due": self.due}
        out = {k: v for k, v in query.items() if v}
        if self.assignee == "me":
            out["assignee"] = me
        elif self.assignee == "none":
            out["assignee"] = ""
        elif self.assignee:
            out["assignee"] = self.assignee
        return out

    def query(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in (("category", self.category), ("district", self.district),
                                    ("assignee", self.assignee), ("due", self.due)) if v]


def filters_from(values: dict[str, str], *, categories: frozenset[str], districts: frozenset[str]) -> Filters:
    """Only what the reference data knows; anything else is dropped, never passed on."""
    assignee = values.get("assignee", "")[:200]
    return Filters(category=values.get("category", "") if values.get("category") in categories else "",
                   district=values.get("district", "") if values.get("district") in districts else "",
                   assignee=assignee if assignee.replace("-", "").replace("_", "").replace(":", "").replace(".", "")
                   .replace("@", "").isalnum() else "",
                   due=values.get("due", "") if values.get("due") in DUE_FILTERS else "")
