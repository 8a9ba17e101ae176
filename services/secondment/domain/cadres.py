"""Cadres of township organs and stations: post, rank, pay grade and relations — what a secondment snapshots.

One stream per cadre. While the cadre is away (on secondment, or on 停薪留职 with the post kept) the
post, rank and pay stay unchanged (A): a change is refused; the handler says whether the cadre is away.
A cadre's name, post, rank and pay grade are kept in clear, so none may hold anything shaped like a phone or ID
number (services/pure/personal_text.py): the register keeps no cadre's number.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import assert_never

from services.pure.dates import check_date
from services.pure.errors import AlreadyExists, DomainError, NotFound, StateConflict
from services.pure.personal_text import not_personal
from services.pure.text import needed, require_text
from services.secondment.contract.commands import CadreCommand, ChangePost, LinkMember, RegisterCadre
from services.secondment.contract.events import (
    CadreEvent,
    CadreLinkedToMember,
    CadrePostChanged,
    CadreRegistered,
    PostSnapshot,
)
from services.secondment.domain import texts
from services.secondment.domain.common import require_sending_unit
from services.secondment.domain.units import Unit


@dataclass(frozen=True, kw_only=True)
class Cadre:
    exists: bool = False
    cadre_id: str = ""
    name: str = ""
    unit_id: str = ""
    township_id: str = ""
    post: str = ""
    rank: str = ""
    pay_grade: str = ""
    administrative_relation_org_id: str = ""
    party_relation_org_id: str = ""
    registered_on: date | None = None
    last_changed_on: date | None = None
    #: The member record of the same person (membership's id), once linked.
    member_id: str | None = None
    linked_on: date | None = None

    def snapshot(self) -> PostSnapshot:
        """What stays unchanged while away (A) and what the cadre returns to."""
        return PostSnapshot(
            unit_id=self.unit_id, post=self.post, rank=self.rank, pay_grade=self.pay_grade,
            administrative_relation_org_id=self.administrative_relation_org_id,
            party_relation_org_id=self.party_relation_org_id,
        )


INITIAL = Cadre()


def decide(
    state: Cadre, command: CadreCommand, *, unit: Unit | None = None, away: bool | None = None,
    back_from: date | None = None,
) -> list[CadreEvent]:
    """Decide one command; facts about other records come in as keywords, read by the handler.

    - ``unit``: the cadre's unit (registration: it must exist; its township scopes the sending unit);
    - ``away``: the cadre is on secondment or on 停薪留职 with the post kept (post changes);
    - ``back_from``: the last day away of the cadre's latest ended secondment, if any (post changes).
    """
    name = type(command).__name__
    texts.bounded(command)
    match command:
        case RegisterCadre():
            if state.exists:
                raise AlreadyExists(f"cadre {command.cadre_id} is already registered")
            the_unit = needed(unit, "unit", name)
            if not the_unit.exists or the_unit.unit_id != command.unit_id:
                raise NotFound(f"no unit {command.unit_id}; register the unit before its cadres")
            require_sending_unit(command.actor, the_unit.township_id, the_unit.unit_id, "register a cadre")
            for value, what in ((command.name, "the cadre's name"), (command.post, "the post"),
                                (command.rank, "the rank")):
                require_text(value, what)
            not_personal(command.name, "name", instead="the cadre's name alone; the register keeps no one's number")
            _post(command.post, command.rank, command.pay_grade)
            check_date(command.registered_on, command.today, "the registration date")
            return [CadreRegistered(
                cadre_id=command.cadre_id, name=command.name, unit_id=the_unit.unit_id,
                township_id=the_unit.township_id, post=command.post, rank=command.rank, pay_grade=command.pay_grade,
                administrative_relation_org_id=command.administrative_relation_org_id,
                party_relation_org_id=command.party_relation_org_id, registered_on=command.registered_on,
                actor=command.actor.label,
            )]
        case ChangePost():
            if not state.exists:
                raise NotFound(f"no cadre {command.cadre_id}; register the cadre first")
            require_sending_unit(command.actor, state.township_id, state.unit_id, "change a cadre's post")
            if needed(away, "away", name):
                raise StateConflict(
                    f"cadre {state.cadre_id} is away on secondment: post, rank and pay stay unchanged until the "
                    "cadre returns (Golden Bridge decision) — record the change after the return"
                )
            require_text(command.post, "the post")
            _post(command.post, command.rank, command.pay_grade)
            check_date(command.changed_on, command.today, "the change date",
                       not_before=state.last_changed_on, earlier="the last change")
            if back_from is not None and command.changed_on <= back_from:
                # Entered after the return, a change dated inside the time away would still rewrite the post the
                # cadre held while away and returned to (the departure's snapshot).
                raise DomainError(
                    f"cadre {state.cadre_id} was away on secondment through {back_from}: post, rank and pay stay "
                    f"unchanged while away, so a change takes effect after {back_from}, not on "
                    f"{command.changed_on}", field="changed_on")
            if (command.post, command.rank, command.pay_grade) == (state.post, state.rank, state.pay_grade):
                raise DomainError(f"cadre {state.cadre_id} already has this post, rank and pay grade")
            return [CadrePostChanged(
                cadre_id=state.cadre_id, post=command.post, rank=command.rank, pay_grade=command.pay_grade,
                changed_on=command.changed_on, actor=command.actor.label,
            )]
        case LinkMember():
            return [_link(state, command)]
        case _:
            assert_never(command)


def _post(post: str, rank: str, pay_grade: str) -> None:
    not_personal(post, "post", instead="the post by its title, e.g. \"副镇长\"")
    not_personal(rank, "rank", instead="the rank by its title, e.g. \"一级主任科员\"")
    not_personal(pay_grade, "pay_grade", instead="the pay grade as the pay scale names it")


def _link(state: Cadre, command: LinkMember) -> CadreLinkedToMember:
    """One cadre, one person: the link is made once. That the member record exists and is no other cadre's is
    checked by the gateway in its read models before it forwards the command (this service cannot read
    membership's store); a wrong link is a correction for the county, not a silent re-link."""
    if not state.exists:
        raise NotFound(f"no cadre {command.cadre_id}; register the cadre first")
    require_sending_unit(command.actor, state.township_id, state.unit_id, "link a cadre to a member record")
    member_id = require_text(command.member_id, "the member id")
    if state.member_id == member_id:
        raise StateConflict(f"cadre {state.cadre_id} is already linked to member {state.member_id} "
                            f"(since {state.linked_on})")
    if state.member_id is not None:
        raise StateConflict(f"cadre {state.cadre_id} is linked to member {state.member_id} since {state.linked_on}; "
                            "a cadre is one person, so a second member record cannot be linked")
    check_date(command.linked_on, command.today, "the link date", not_before=state.registered_on,
               earlier="the cadre's registration")
    return CadreLinkedToMember(cadre_id=state.cadre_id, member_id=member_id, linked_on=command.linked_on,
                               actor=command.actor.label)


def evolve(state: Cadre, event: CadreEvent) -> Cadre:
    match event:
        case CadreRegistered():
            return Cadre(
                exists=True, cadre_id=event.cadre_id, name=event.name, unit_id=event.unit_id,
                township_id=event.township_id, post=event.post, rank=event.rank, pay_grade=event.pay_grade,
                administrative_relation_org_id=event.administrative_relation_org_id,
                party_relation_org_id=event.party_relation_org_id, registered_on=event.registered_on,
                last_changed_on=event.registered_on,
            )
        case CadrePostChanged():
            return replace(state, post=event.post, rank=event.rank, pay_grade=event.pay_grade,
                           last_changed_on=event.changed_on)
        case CadreLinkedToMember():
            return replace(state, member_id=event.member_id, linked_on=event.linked_on)
        case _:
            assert_never(event)
