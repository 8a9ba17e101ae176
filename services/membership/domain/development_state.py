"""State of a member development case (发展党员) and the small rules its steps share: dates, scope, votes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.membership.contract.events.development import ConversionOutcome
from services.membership.domain.rules import require_org_scope
from services.pure.errors import DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.pure.text import needed


class Stage(StrEnum):
    """B6: applicant → activist → development target → probationary → full (or cancelled on the way)."""

    APPLICANT = "applicant"
    ACTIVIST = "activist"
    DEVELOPMENT_TARGET = "development_target"
    PROBATIONARY = "probationary"
    FULL = "full"
    CANCELLED = "cancelled"


@dataclass(frozen=True, kw_only=True)
class DevelopmentCase:
    exists: bool = False
    person_id: str = ""
    name: str = ""
    birth_date: date | None = None
    is_mobile: bool = False
    stage: Stage | None = None
    #: The organisation handling the case now; changes when the file is transferred.
    org_id: str = ""
    previous_org_ids: tuple[str, ...] = ()
    #: The latest date of any step: nothing later may be dated before a transfer or a cancellation.
    last_step_on: date | None = None
    applied_on: date | None = None
    interviewed_on: date | None = None
    activist_since: date | None = None
    contacts: tuple[str, ...] = ()
    contacts_assigned_on: date | None = None
    assessments: tuple[date, ...] = ()
    target_since: date | None = None
    introducers: tuple[str, ...] = ()
    introducers_assigned_on: date | None = None
    political_review_on: date | None = None
    political_review_qualified: bool = False
    training_hours: Decimal = Decimal(0)
    training_days: int = 0
    last_training_on: date | None = None
    pre_reviewed_on: date | None = None
    pre_review_approved: bool = False
    #: The date of the admission vote that passed; failed votes are only in the history.
    admission_vote_on: date | None = None
    last_admission_vote_on: date | None = None
    admitted_on: date | None = None
    probation_start: date | None = None
    probation_end: date | None = None
    oath_on: date | None = None
    conversion_applied_on: date | None = None
    conversion_vote_on: date | None = None
    last_conversion_vote_on: date | None = None
    conversion_resolution: ConversionOutcome | None = None
    conversion_extension_months: int | None = None
    extensions: int = 0
    party_age_start: date | None = None
    closed_on: date | None = None


INITIAL = DevelopmentCase()






def existing(state: DevelopmentCase, person_id: str) -> DevelopmentCase:
    if not state.exists:
        raise NotFound(f"no development case for {person_id}; the person must submit an application first")
    return state


def require_stage(state: DevelopmentCase, action: str, *stages: Stage) -> None:
    if state.stage not in stages:
        allowed = " or ".join(s.value for s in stages)
        current = state.stage.value if state.stage else "none"
        raise StateConflict(f"{action} needs a case at stage {allowed}; {state.person_id} is at stage {current}")




def require_case_scope(actor: Actor, state: DevelopmentCase, action: str) -> None:
    """County and township staff act on any case; a branch secretary on the cases of their own branch."""
    require_org_scope(actor, state.org_id, action)


def require_self_or_scope(actor: Actor, person_id: str, org_id: str, action: str) -> None:
    """The person acts on their own case (as applicant or member); otherwise the organisation does."""
    if actor.role is Role.MEMBER:
        if actor.subject != person_id:
            raise Forbidden(f"a member may {action} only for themselves, not for {person_id}")
        return
    require_org_scope(actor, org_id, action)


def require_approval_authority(actor: Actor, has_authority: bool | None, action: str) -> str:
    """Only a county committee or a base committee with approval authority approves (B6, D3); returns its id."""
    if actor.role not in (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE):
        raise Forbidden(
            f"only a committee with approval authority may {action}; a {actor.role.value} cannot — "
            "send the case to the township or county committee"
        )
    org = actor.org_id or "county"
    if not needed(has_authority, "approver_has_authority", action):
        raise Forbidden(f"{org} has no approval authority for admissions; the county committee must {action}")
    return org


def has_quorum(*, entitled: int, present: int) -> bool:
    """细则 art. 20: voting members present are more than half of those entitled."""
    return present * 2 > entitled


def majority_for(*, entitled: int, yes: int) -> bool:
    """细则 art. 21: yes votes are more than half of the entitled full members (not of those present)."""
    return yes * 2 > entitled


def count_ballot(
    *, entitled: int, present: int, yes: int, no: int, abstain: int, written_opinions: int, candidates: int
) -> bool:
    """Check a general meeting's counts; refuse a meeting without quorum; return whether the motion passed."""
    if candidates != 1:
        raise DomainError(f"one candidate per ballot (细则 art. 21); this ballot had {candidates} — vote on each apart")
    if entitled < 1:
        raise DomainError("entitled_full_members must be at least 1: only full members vote")
    if min(present, yes, no, abstain, written_opinions) < 0:
        raise DomainError("vote counts cannot be negative")
    if present + written_opinions > entitled:
        raise DomainError(
            f"{present} present and {written_opinions} written opinions exceed the {entitled} entitled full members; "
            "probationary members and certificate holders do not vote"
        )
    if yes + no + abstain > present + written_opinions:
        raise DomainError(
            f"{yes + no + abstain} votes counted but only {present} present and {written_opinions} written opinions"
        )
    if not has_quorum(entitled=entitled, present=present):
        raise DomainError(
            f"no quorum: {present} of {entitled} entitled full members present, at least {entitled // 2 + 1} "
            "must be; the meeting cannot vote — convene it again"
        )
    return majority_for(entitled=entitled, yes=yes)
