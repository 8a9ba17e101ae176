"""Events of a secondment: nomination, start, check-ins, contributions, extension or early end, return and
recognition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.pure.dates import RecordedLate
from services.secondment.contract.events.values import (
    CommendationKind,
    ContributionKind,
    Placement,
    PostSnapshot,
    Route,
)

# --- secondments ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SecondmentNominated(RecordedLate):
    secondment_id: str
    cadre_id: str
    unit_id: str
    township_id: str
    route: Route
    placement: Placement
    nominated_on: date
    actor: str


@dataclass(frozen=True, kw_only=True)
class NominationApproved(RecordedLate):
    secondment_id: str
    approved_on: date
    actor: str
    approving_org_id: str


@dataclass(frozen=True, kw_only=True)
class NominationRejected(RecordedLate):
    secondment_id: str
    rejected_on: date
    reason: str
    actor: str
    approving_org_id: str


@dataclass(frozen=True, kw_only=True)
class SecondmentStarted(RecordedLate):
    """The cadre left; the term's last day is the day before the anniversary of the departure (policy)."""

    secondment_id: str
    cadre_id: str
    departed_on: date
    placement: Placement
    snapshot: PostSnapshot
    term_months: int
    planned_end: date
    actor: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class CheckInRecorded(RecordedLate):
    """The sending unit's check-in on the cadre's thinking and work (A: tracking led by the sending unit)."""

    secondment_id: str
    checked_in_on: date
    thinking: str
    work: str
    due_on: date
    late: bool
    actor: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class ContributionRecorded(RecordedLate):
    """Capital, a project, talent, technology or market information brought to the county (yuan, Decimal).

    ``people``: how many people a talent contribution introduced (absent on other kinds, and on talent
    recorded before the field existed: one person)."""

    secondment_id: str
    contribution_id: str
    kind: ContributionKind
    description: str
    amount_yuan: Decimal | None
    contributed_on: date
    source_ref: str | None
    actor: str
    people: int | None = None


@dataclass(frozen=True, kw_only=True)
class ExtensionRequested(RecordedLate):
    secondment_id: str
    months: int
    requested_on: date
    reason: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class SecondmentExtended(RecordedLate):
    secondment_id: str
    months: int
    previous_end: date
    new_end: date
    approved_on: date
    actor: str
    approving_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class ExtensionRefused(RecordedLate):
    secondment_id: str
    months: int
    refused_on: date
    reason: str
    actor: str
    approving_org_id: str


@dataclass(frozen=True, kw_only=True)
class EarlyEndRequested(RecordedLate):
    secondment_id: str
    last_day: date
    requested_on: date
    reason: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class SecondmentEndedEarly(RecordedLate):
    """The early end was approved; the cadre goes back to the snapshot's post."""

    secondment_id: str
    cadre_id: str
    last_day: date
    planned_end: date
    returned_to: PostSnapshot
    approved_on: date
    actor: str
    approving_org_id: str


@dataclass(frozen=True, kw_only=True)
class EarlyEndRefused(RecordedLate):
    secondment_id: str
    last_day: date
    refused_on: date
    reason: str
    actor: str
    approving_org_id: str


@dataclass(frozen=True, kw_only=True)
class CadreReturned(RecordedLate):
    """Term over: back to the original post — the snapshot's post, rank and pay, never what the command says."""

    secondment_id: str
    cadre_id: str
    last_day: date
    planned_end: date
    returned_to: PostSnapshot
    decided_on: date
    actor: str
    deciding_org_id: str


@dataclass(frozen=True, kw_only=True)
class UnpaidLeaveGranted(RecordedLate):
    """Term over: the cadre stays out on 停薪留职, the post kept; only when the policy switch allows it."""

    secondment_id: str
    cadre_id: str
    last_day: date
    planned_end: date
    post_kept: PostSnapshot
    decided_on: date
    actor: str
    deciding_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class CommendationProposed(RecordedLate):
    """A major contribution → a commendation proposal (A): capital, projects or talent at or above the policy's
    threshold of a kind the policy counts. ``qualified`` names the kinds that reached their threshold; the
    figures and thresholds of every kind are recorded with the policy version that set them.

    Proposals recorded before the kinds existed counted capital alone: their ``qualified`` and ``counted`` read
    as capital, their project and talent figures as absent."""

    secondment_id: str
    cadre_id: str
    proposed_on: date
    capital_total_yuan: Decimal
    threshold_yuan: Decimal
    reason: str
    actor: str
    policy_version: str
    qualified: tuple[CommendationKind, ...] = (CommendationKind.CAPITAL,)
    #: The kinds the policy counted on the day (``commendation_kinds``).
    counted: tuple[CommendationKind, ...] = (CommendationKind.CAPITAL,)
    projects: int | None = None
    project_threshold: int | None = None
    talent_people: int | None = None
    talent_threshold: int | None = None


@dataclass(frozen=True, kw_only=True)
class PromotionProposed(RecordedLate):
    """An outstanding cadre proposed for promotion by due procedure (A); the decision is made elsewhere."""

    secondment_id: str
    cadre_id: str
    proposed_on: date
    reason: str
    actor: str
    proposing_org_id: str


@dataclass(frozen=True, kw_only=True)
class ReserveCadreListed(RecordedLate):
    """A: qualifying staff listed as reserve cadres (后备干部) by the county organisation department."""

    secondment_id: str
    cadre_id: str
    listed_on: date
    reason: str
    actor: str
    approving_org_id: str


SecondmentEvent = (
    SecondmentNominated | NominationApproved | NominationRejected | SecondmentStarted | CheckInRecorded
    | ContributionRecorded | ExtensionRequested | SecondmentExtended | ExtensionRefused | EarlyEndRequested
    | SecondmentEndedEarly | EarlyEndRefused | CadreReturned | UnpaidLeaveGranted | CommendationProposed
    | PromotionProposed | ReserveCadreListed
)

SECONDMENT_EVENTS: dict[str, type] = {
    "gb.secondment.secondment_nominated.v1": SecondmentNominated,
    "gb.secondment.nomination_approved.v1": NominationApproved,
    "gb.secondment.nomination_rejected.v1": NominationRejected,
    "gb.secondment.secondment_started.v1": SecondmentStarted,
    "gb.secondment.check_in_recorded.v1": CheckInRecorded,
    "gb.secondment.contribution_recorded.v1": ContributionRecorded,
    "gb.secondment.extension_requested.v1": ExtensionRequested,
    "gb.secondment.secondment_extended.v1": SecondmentExtended,
    "gb.secondment.extension_refused.v1": ExtensionRefused,
    "gb.secondment.early_end_requested.v1": EarlyEndRequested,
    "gb.secondment.secondment_ended_early.v1": SecondmentEndedEarly,
    "gb.secondment.early_end_refused.v1": EarlyEndRefused,
    "gb.secondment.cadre_returned.v1": CadreReturned,
    "gb.secondment.unpaid_leave_granted.v1": UnpaidLeaveGranted,
    "gb.secondment.commendation_proposed.v1": CommendationProposed,
    "gb.secondment.promotion_proposed.v1": PromotionProposed,
    "gb.secondment.reserve_cadre_listed.v1": ReserveCadreListed,
}
