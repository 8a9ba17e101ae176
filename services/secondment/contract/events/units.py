"""Events of the units (a township organ or station and its headcount over time) and of the cadres they employ."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.pure.dates import RecordedLate
from services.secondment.contract.events.values import UnitKind

# --- units ----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UnitRegistered(RecordedLate):
    unit_id: str
    township_id: str
    name: str
    kind: UnitKind
    headcount: int
    effective_from: date
    actor: str


@dataclass(frozen=True, kw_only=True)
class UnitHeadcountChanged(RecordedLate):
    """The unit's staff establishment from ``effective_from``; a change on an already recorded date corrects it."""

    unit_id: str
    township_id: str
    headcount: int
    previous_headcount: int
    effective_from: date
    reason: str
    actor: str


# --- cadres ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CadreRegistered(RecordedLate):
    cadre_id: str
    name: str
    unit_id: str
    township_id: str
    post: str
    rank: str
    pay_grade: str
    administrative_relation_org_id: str
    party_relation_org_id: str
    registered_on: date
    actor: str


@dataclass(frozen=True, kw_only=True)
class CadrePostChanged(RecordedLate):
    cadre_id: str
    post: str
    rank: str
    pay_grade: str
    changed_on: date
    actor: str


@dataclass(frozen=True, kw_only=True)
class CadreLinkedToMember(RecordedLate):
    """The cadre is the person of member record ``member_id`` (membership's id, no personal data): what lets a
    seconded cadre's seat on an outstation branch's committee be checked against the secondment."""

    cadre_id: str
    member_id: str
    linked_on: date
    actor: str


UnitEvent = UnitRegistered | UnitHeadcountChanged
CadreEvent = CadreRegistered | CadrePostChanged | CadreLinkedToMember

UNIT_EVENTS: dict[str, type] = {
    "gb.secondment.unit_registered.v1": UnitRegistered,
    "gb.secondment.unit_headcount_changed.v1": UnitHeadcountChanged,
}
CADRE_EVENTS: dict[str, type] = {
    "gb.secondment.cadre_registered.v1": CadreRegistered,
    "gb.secondment.cadre_post_changed.v1": CadrePostChanged,
    "gb.secondment.cadre_linked_to_member.v1": CadreLinkedToMember,
}
