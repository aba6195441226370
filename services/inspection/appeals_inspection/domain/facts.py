"""What a run of fact events sets on one appeal of the read model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass
class AppealFactsChange:
    """``None``: left as it is. A registration sets all of its fields at once."""

    appeal_id: UUID
    registration: dict[str, Any] | None = None
    executor_code: str | None = None
    due_at: datetime | None = None
