"""Deadline engine: turns the due items a record's rules compute into events, each raised once.

The rules (each aggregate's ``due_items(state, on, policy)``) say what is due; this aggregate, one
stream per record (``deadlines-<record id>``), remembers what was already raised, so running the
engine again on the same day — or after a restart — raises nothing twice. "Today" is passed in by
the scheduler; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from services.membership.contract.events.deadlines import DeadlineRaised
from services.pure.due import DueItem


@dataclass(frozen=True, kw_only=True)
class Deadlines:
    #: (kind, due_on, overdue) already raised; an item is raised once when due and once when overdue.
    raised: frozenset[tuple[str, date, bool]] = field(default_factory=frozenset)


INITIAL = Deadlines()


@dataclass(frozen=True, kw_only=True)
class RaiseDueItems:
    subject_id: str
    subject_type: str
    org_id: str
    today: date
    items: tuple[DueItem, ...]


def decide(state: Deadlines, command: RaiseDueItems) -> list[DeadlineRaised]:
    return [
        DeadlineRaised(
            subject_id=command.subject_id, subject_type=command.subject_type, org_id=command.org_id,
            kind=item.kind, due_on=item.due_on, raised_on=command.today, overdue=item.overdue,
        )
        for item in _unique(command.items)
        if (item.kind, item.due_on, item.overdue) not in state.raised
    ]


def evolve(state: Deadlines, event: DeadlineRaised) -> Deadlines:
    return replace(state, raised=state.raised | {(event.kind, event.due_on, event.overdue)})


def _unique(items: Iterable[DueItem]) -> list[DueItem]:
    seen: dict[tuple[str, date, bool], DueItem] = {}
    for item in items:
        seen.setdefault((item.kind, item.due_on, item.overdue), item)
    return sorted(seen.values(), key=lambda i: (i.due_on, i.kind))
