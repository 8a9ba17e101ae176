"""Township organs and stations (机关、站所) with their headcount over time: the denominator of the 5 % target.

One stream per unit. Headcount changes are effective-dated: ``headcount_on(day)`` is the figure in
force on that day; a change on an already recorded date corrects that date's figure. A unit's name and a
change's reason are kept in clear, so neither may hold anything shaped like a phone or ID number
(services/pure/personal_text.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import assert_never

from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.pure.personal_text import in_words, not_personal
from services.pure.policy_data import POLICY_STREAM
from services.pure.record_ids import OwnStreams, chosen_id
from services.pure.text import require_text
from services.secondment.contract.commands import ChangeHeadcount, RegisterUnit, UnitCommand
from services.secondment.contract.events import UnitEvent, UnitHeadcountChanged, UnitKind, UnitRegistered
from services.secondment.domain import texts
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
#: The one stream secondment keeps under a name of its own: its published policy. A unit's code may not be it.
OWN_STREAMS = OwnStreams(names=frozenset({POLICY_STREAM}))


def decide(state: Unit, command: UnitCommand, *, unit_is_township: bool = False,
           township_is_unit: bool = False) -> list[UnitEvent]:
    """Register a unit or change its headcount. Who: the county organisation department; a unit is registered
    by its township's committee, and its headcount changed by that committee or the unit itself (township
    committee role, ``org_id`` = the township or the unit).

    Facts for ``RegisterUnit`` (the handler reads them from the store): ``unit_is_township``, whether registered
    units already name the new unit's id as their township; ``township_is_unit``, whether the new unit's
    township is itself a registered unit. A token's organisation is read as a unit's only when it is a unit's
    id, so a unit named like a township — or a township like a unit — would move that township's committee
    into another township's scope."""
    texts.bounded(command)
    match command:
        case RegisterUnit():
            if state.exists:
                raise AlreadyExists(f"unit {command.unit_id} is already registered; change its headcount instead")
            _require_township(command.actor, command.township_id)
            chosen_id(command.unit_id, "unit_id", OWN_STREAMS)
            if command.unit_id == command.township_id or unit_is_township:
                raise DomainError(f"{command.unit_id} is a township's id; a unit (one of a township's organs or "
                                  "stations) is registered under its own official code")
            if township_is_unit:
                raise DomainError(f"{command.township_id} is a registered unit, not a township; name the township "
                                  "the unit belongs to")
            require_text(command.name, "the unit's name")
            not_personal(command.name, "name", instead="the unit's official name, e.g. \"东城镇农业服务中心\"")
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
            not_personal(command.reason, "reason", instead=in_words("the reason for the headcount change"))
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


def _require_township(actor: Actor, township_id: str) -> None:
    """A unit joins a township's register by that township's committee (or the county): a unit's own token
    cannot vouch for the township it would belong to, and one township cannot add units to another's."""
    if actor.role is Role.COUNTY_ADMIN or (actor.role is Role.TOWNSHIP_COMMITTEE and actor.org_id == township_id):
        return
    raise Forbidden(f"{actor.org_id or actor.role.value} cannot register a unit in {township_id}: its township "
                    "committee or the county organisation department registers it")


def _check_headcount(headcount: int) -> None:
    # A township organ or station counts tens of staff, the largest unit a few thousand: a headcount beyond this is
    # a typo, refused before it becomes a number no read model stores (its column is int4) or the 5 % target
    # divides by.
    most = 100_000
    if headcount < 0:
        raise DomainError(f"a headcount cannot be negative; got {headcount}")
    if headcount > most:
        raise DomainError(f"a unit's headcount is 0 to {most:,} people; got {headcount:,} — check the number")
