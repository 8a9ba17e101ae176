"""Township organs and stations (机关、站所) with their headcount over time: the denominator of the 5 % target.

One stream per unit. Headcount changes are effective-dated: ``headcount_on(day)`` is the figure in
force on that day; a change on an already recorded date corrects that date's figure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import assert_never

from services.pure.errors import AlreadyExists, DomainError, NotFound, StateConflict
from services.pure.text import require_text
from services.secondment.contract.commands import ChangeHeadcount, RegisterUnit, UnitCommand
from services.secondment.contract.events import UnitEvent, UnitHeadcountChanged, UnitKind, UnitRegistered
from services.secondment.domain.common import require_sending_unit


@dataclass(frozen=True, kw_only=True)
class Unit:
    exists: bool = False
    unit_id: str = ""
    township_id: str = ""
    name: str = ""
    kind: UnitKind | None = None
    #: (effective_from, headcount), sorted by date, one entry per date.
    headcounts: tuple[tuple[date, int], ...] = ()

    @property
    def registered_from(self) -> date | None:
        return self.headcounts[0][0] if self.headcounts else None

    def headcount_on(self, day: date) -> int:
        """Headcount in force on ``day``; 0 before the unit's first recorded date."""
        current = 0
        for effective_from, headcount in self.headcounts:
            if effective_from > day:
                break
            current = headcount
        return current


INITIAL = Unit()


def decide(state: Unit, command: UnitCommand) -> list[UnitEvent]:
    """Register a unit or change its headcount. Who: the county organisation department or the sending
    unit (township committee role, ``org_id`` = the township or the unit)."""
    match command:
        case RegisterUnit():
            if state.exists:
                raise AlreadyExists(f"unit {command.unit_id} is already registered; change its headcount instead")
            require_sending_unit(command.actor, command.township_id, command.unit_id, "register a unit")
            require_text(command.name, "the unit's name")
            _check_headcount(command.headcount)
            return [UnitRegistered(
                unit_id=command.unit_id, township_id=command.township_id, name=command.name, kind=command.kind,
                headcount=command.headcount, effective_from=command.effective_from, actor=command.actor.label,
            )]
        case ChangeHeadcount():
            if not state.exists:
                raise NotFound(f"no unit {command.unit_id}; register it first")
            require_sending_unit(command.actor, state.township_id, state.unit_id, "change a unit's headcount")
            require_text(command.reason, "the reason for the headcount change", hint="write a short explanation")
            _check_headcount(command.headcount)
            first = state.registered_from
            if first is not None and command.effective_from < first:
                raise DomainError(
                    f"unit {state.unit_id} is registered from {first}; a headcount from {command.effective_from} "
                    "is before it — correct the registration date instead"
                )
            previous = state.headcount_on(command.effective_from)
            recorded = dict(state.headcounts)
            if recorded.get(command.effective_from) == command.headcount:
                raise StateConflict(
                    f"the headcount of {state.unit_id} from {command.effective_from} is already {command.headcount}"
                )
            return [UnitHeadcountChanged(
                unit_id=state.unit_id, township_id=state.township_id, headcount=command.headcount,
                previous_headcount=previous, effective_from=command.effective_from, reason=command.reason,
                actor=command.actor.label,
            )]
        case _:
            assert_never(command)


def evolve(state: Unit, event: UnitEvent) -> Unit:
    match event:
        case UnitRegistered():
            return Unit(
                exists=True, unit_id=event.unit_id, township_id=event.township_id, name=event.name, kind=event.kind,
                headcounts=((event.effective_from, event.headcount),),
            )
        case UnitHeadcountChanged():
            table = dict(state.headcounts)
            table[event.effective_from] = event.headcount
            return replace(state, headcounts=tuple(sorted(table.items())))
        case _:
            assert_never(event)


def _check_headcount(headcount: int) -> None:
    if headcount < 0:
        raise DomainError(f"a headcount cannot be negative; got {headcount}")
