"""Commands of the secondment service: units and their headcount, cadres, and secondments.

Roles (there is no "sending unit" role in services.pure.identity): the county organisation
department acts as ``Role.COUNTY_ADMIN``; a township's sending unit acts as ``Role.TOWNSHIP_COMMITTEE``
with ``org_id`` = the township id or the unit id. Dates and the actor come in on the command.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar

from services.pure.identity import Actor
from services.secondment.contract.events import ContributionKind, EndOutcome, Placement, Route, UnitKind

# --- units (stream per unit) ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RegisterUnit:
    """Register a township organ or station and its headcount from ``effective_from``."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("effective_from",)
    unit_id: str
    township_id: str
    name: str
    kind: UnitKind
    headcount: int
    effective_from: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChangeHeadcount:
    """Record the unit's headcount from ``effective_from`` (a date already recorded is corrected)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("effective_from",)
    unit_id: str
    headcount: int
    effective_from: date
    reason: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


UnitCommand = RegisterUnit | ChangeHeadcount

# --- cadres (stream per cadre) --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RegisterCadre:
    """Register a cadre of a township organ or station with post, rank, pay grade and relations."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("registered_on",)
    cadre_id: str
    name: str
    unit_id: str
    post: str
    rank: str
    pay_grade: str
    administrative_relation_org_id: str
    party_relation_org_id: str
    registered_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChangePost:
    """Change a cadre's post, rank or pay grade — refused while the cadre is on secondment (A)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("changed_on",)
    cadre_id: str
    post: str
    rank: str
    pay_grade: str
    changed_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class LinkMember:
    """Link a cadre to the member record of the same person (membership's ``member_id``).

    The secondment service cannot read membership's store: the gateway checks the member in its members
    read model before it forwards the command (services/gateway/command_checks.py).
    """

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("linked_on",)
    cadre_id: str
    member_id: str
    linked_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


CadreCommand = RegisterCadre | ChangePost | LinkMember

# --- secondments (stream per secondment) ----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class NominateCadre:
    """The sending unit nominates a cadre: a self-found job (first) or an organisational posting (second)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("nominated_on",)
    secondment_id: str
    cadre_id: str
    route: Route
    placement: Placement
    nominated_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class DecideNomination:
    """The county organisation department approves or rejects a nomination (a reason when rejecting)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("decided_on",)
    secondment_id: str
    approved: bool
    decided_on: date
    reason: str = ""
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class StartSecondment:
    """The cadre departs; the placement is confirmed and post, rank, pay and relations are snapshotted."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("departed_on",)
    secondment_id: str
    departed_on: date
    placement: Placement
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordCheckIn:
    """The sending unit's check-in on the cadre's thinking and work."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("checked_in_on",)
    secondment_id: str
    checked_in_on: date
    thinking: str
    work: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordContribution:
    """Record a contribution; ``contribution_id`` makes it idempotent (a replay of the same one records nothing)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("contributed_on",)
    secondment_id: str
    contribution_id: str
    kind: ContributionKind
    description: str
    contributed_on: date
    amount_yuan: Decimal | None = None
    source_ref: str | None = None
    #: Talent only: how many people the contribution introduced (default one).
    people: int | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RequestExtension:
    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("requested_on",)
    secondment_id: str
    months: int
    requested_on: date
    reason: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class DecideExtension:
    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("decided_on",)
    secondment_id: str
    approved: bool
    decided_on: date
    reason: str = ""
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RequestEarlyEnd:
    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("requested_on",)
    secondment_id: str
    last_day: date
    requested_on: date
    reason: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class DecideEarlyEnd:
    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("decided_on",)
    secondment_id: str
    approved: bool
    decided_on: date
    reason: str = ""
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class EndSecondment:
    """End at term: return to the original post, or 停薪留职 when the policy allows it.

    ``last_day`` is the last day away, on or after the term's last day (earlier is an early end that
    needs approval); it may be decided ahead of that day, and the cadre counts as out through it."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("decided_on",)
    secondment_id: str
    outcome: EndOutcome
    last_day: date
    decided_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ProposeCommendation:
    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("proposed_on",)
    secondment_id: str
    proposed_on: date
    reason: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ProposePromotion:
    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("proposed_on",)
    secondment_id: str
    proposed_on: date
    reason: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ListAsReserveCadre:
    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("listed_on",)
    secondment_id: str
    listed_on: date
    reason: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


SecondmentCommand = (
    NominateCadre | DecideNomination | StartSecondment | RecordCheckIn | RecordContribution | RequestExtension
    | DecideExtension | RequestEarlyEnd | DecideEarlyEnd | EndSecondment | ProposeCommendation | ProposePromotion
    | ListAsReserveCadre
)
