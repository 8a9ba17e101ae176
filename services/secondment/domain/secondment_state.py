"""State of one secondment (外出锻炼) and the checks its steps share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.pure.errors import NotFound, StateConflict
from services.secondment.contract.events import ContributionRecorded, Placement, PostSnapshot, Route


class Stage(StrEnum):
    NOMINATED = "nominated"
    APPROVED = "approved"
    REJECTED = "rejected"
    AWAY = "away"
    #: D1 outcomes: back at the original post (at term end or early), or on 停薪留职.
    RETURNED = "returned"
    ENDED_EARLY = "ended_early"
    UNPAID_LEAVE = "unpaid_leave"


#: Stages after the departure: contributions and proposals may still be recorded.
STARTED = (Stage.AWAY, Stage.RETURNED, Stage.ENDED_EARLY, Stage.UNPAID_LEAVE)


class RequestKind(StrEnum):
    EXTENSION = "extension"
    EARLY_END = "early_end"


@dataclass(frozen=True, kw_only=True)
class PendingRequest:
    """An extension or early end waiting for the county's approval (B7: both need approval)."""

    kind: RequestKind
    requested_on: date
    months: int = 0
    last_day: date | None = None


@dataclass(frozen=True, kw_only=True)
class Secondment:
    exists: bool = False
    secondment_id: str = ""
    cadre_id: str = ""
    unit_id: str = ""
    township_id: str = ""
    route: Route | None = None
    stage: Stage | None = None
    placement: Placement | None = None
    nominated_on: date | None = None
    approved_on: date | None = None
    departed_on: date | None = None
    snapshot: PostSnapshot | None = None
    term_months: int = 0
    extension_months: int = 0
    planned_end: date | None = None
    check_ins: tuple[date, ...] = ()
    contributions: tuple[ContributionRecorded, ...] = ()
    capital_total_yuan: Decimal = Decimal(0)
    pending: PendingRequest | None = None
    #: The last day away once the secondment ended (D1 outcome in ``stage``).
    last_day: date | None = None
    commendation_proposed_on: date | None = None
    promotion_proposed_on: date | None = None
    reserve_listed_on: date | None = None


INITIAL = Secondment()


def existing(state: Secondment, secondment_id: str) -> Secondment:
    if not state.exists:
        raise NotFound(f"no secondment {secondment_id}; nominate the cadre first")
    return state


def require_stage(state: Secondment, action: str, *stages: Stage) -> None:
    if state.stage not in stages:
        allowed = " or ".join(s.value for s in stages)
        current = state.stage.value if state.stage else "none"
        raise StateConflict(f"{action} needs a secondment that is {allowed}; {state.secondment_id} is {current}")


def require_no_pending(state: Secondment, action: str) -> None:
    if state.pending is not None:
        raise StateConflict(
            f"cannot {action}: a request for {state.pending.kind.value.replace('_', ' ')} of {state.secondment_id} "
            f"from {state.pending.requested_on} awaits the county's decision — decide it first"
        )


def away_since(state: Secondment) -> date:
    if state.departed_on is None or state.planned_end is None or state.snapshot is None:
        raise StateConflict(f"secondment {state.secondment_id} has not started")
    return state.departed_on
