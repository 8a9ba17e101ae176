"""Due items: what a rule says must happen by a day, computed from a record's state and the date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, kw_only=True)
class DueItem:
    """Something a rule says must happen by ``due_on`` for ``subject_id``."""

    kind: str
    due_on: date
    subject_id: str
    overdue: bool = False
