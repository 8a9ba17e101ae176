"""Events of the deadline engine: a due item raised for a record, computed from event time and policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.pure.dates import RecordedLate


@dataclass(frozen=True, kw_only=True)
class DeadlineRaised(RecordedLate):
    subject_id: str
    subject_type: str
    org_id: str
    kind: str
    due_on: date
    raised_on: date
    overdue: bool


EVENTS: dict[str, type] = {
    "gb.membership.deadline_raised.v1": DeadlineRaised,
}
