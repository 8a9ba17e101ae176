"""State of one investment lead and the small rules every step shares (scope, step order, money)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from services.investment.contract.events import LeadStage, RegistrantKind
from services.pure.errors import DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role

#: The pipeline in order (issue 5); ``dropped`` and ``duplicate`` are outside it.
PIPELINE: tuple[LeadStage, ...] = (
    LeadStage.REGISTERED, LeadStage.CONTACTED, LeadStage.VISIT, LeadStage.NEGOTIATING, LeadStage.SIGNED,
    LeadStage.FUNDS_ARRIVING, LeadStage.LANDED,
)
#: Stages a lead is still being worked in: they can stall, advance, be dropped.
OPEN_STAGES = frozenset(PIPELINE[:-1])


@dataclass(frozen=True, kw_only=True)
class Lead:
    exists: bool = False
    lead_id: str = ""
    match_key: str = ""
    registrant_kind: RegistrantKind = RegistrantKind.MEMBER
    registrant_id: str = ""
    branch_id: str = ""
    township_id: str = ""
    investor: str = ""
    project: str = ""
    #: A homecoming (回归) project: the fast lane's shorter stall period applies.
    homecoming: bool = False
    stage: LeadStage = LeadStage.REGISTERED
    earlier_lead_id: str | None = None
    registered_on: date | None = None
    #: The date of the latest step (registration, advance, instalment): the stall clock starts here.
    last_progress_on: date | None = None
    signed_on: date | None = None
    instalments: int = 0
    total_arrived: Decimal = Decimal(0)
    references: frozenset[str] = field(default_factory=frozenset)
    completed_on: date | None = None
    actual_fixed_investment: Decimal | None = None
    claim_until: date | None = None
    reward_claimed_on: date | None = None
    reward_amount: Decimal | None = None
    dropped_on: date | None = None


INITIAL = Lead()


def existing(state: Lead, lead_id: str) -> Lead:
    if not state.exists:
        raise NotFound(f"no investment lead {lead_id}; register the lead first")
    return state


def not_duplicate(state: Lead, action: str) -> None:
    if state.stage is LeadStage.DUPLICATE:
        raise StateConflict(
            f"lead {state.lead_id} duplicates lead {state.earlier_lead_id}, which was registered first; "
            f"{action} on that lead"
        )


def require_lead_scope(actor: Actor, *, branch_id: str, township_id: str, registrant_id: str, action: str) -> None:
    """County staff act on every lead; a township committee on its township's, a secretary on its branch's,
    a member or cadre on the leads they registered."""
    if actor.role is Role.COUNTY_ADMIN:
        return
    if actor.role is Role.TOWNSHIP_COMMITTEE and actor.org_id == township_id:
        return
    if actor.role is Role.BRANCH_SECRETARY and actor.org_id == branch_id:
        return
    if actor.role is Role.MEMBER and actor.subject == registrant_id:
        return
    raise Forbidden(
        f"{actor.label} cannot {action}: only the county, the township committee of {township_id}, "
        f"the secretary of branch {branch_id} or the registrant {registrant_id} may"
    )


def require_scope(actor: Actor, state: Lead, action: str) -> None:
    require_lead_scope(actor, branch_id=state.branch_id, township_id=state.township_id,
                       registrant_id=state.registrant_id, action=action)


def not_before_last_step(state: Lead, day: date, what: str) -> None:
    if state.last_progress_on is not None and day < state.last_progress_on:
        raise DomainError(
            f"{what} {day} is before the lead's last step on {state.last_progress_on}; steps are recorded in order"
        )
