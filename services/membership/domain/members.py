"""Member aggregate: registration with one formal organisation, and outflow (going out to work)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import assert_never

from services.kernel.errors import AlreadyExists, DomainError, NotFound, StateConflict
from services.membership.commands import RegisterMember, RegisterOutflow
from services.membership.domain.branches import Branch
from services.membership.domain.rules import age_on, birth_date_from_national_id, require_org_scope
from services.membership.events import (
    Instrument,
    MemberRegistered,
    MemberStatus,
    OutflowRegistered,
)
from services.membership.policy import policy_on


@dataclass(frozen=True, kw_only=True)
class Member:
    exists: bool = False
    member_id: str = ""
    formal_org_id: str = ""
    status: MemberStatus | None = None
    away_since: date | None = None
    destination: str | None = None


INITIAL = Member()

MemberCommand = RegisterMember | RegisterOutflow
MemberEvent = MemberRegistered | OutflowRegistered


def decide(state: Member, command: MemberCommand, *, formal_org: Branch | None = None) -> list[MemberEvent]:
    """``formal_org`` is the state of the organisation a new member is registered into."""
    match command:
        case RegisterMember():
            return _register(state, command, formal_org or Branch())
        case RegisterOutflow():
            return _register_outflow(state, command)
        case _:
            assert_never(command)


def evolve(state: Member, event: MemberEvent) -> Member:
    match event:
        case MemberRegistered():
            return Member(
                exists=True, member_id=event.member_id, formal_org_id=event.formal_org_id, status=event.status
            )
        case OutflowRegistered():
            return replace(state, away_since=event.left_on, destination=event.destination)
        case _:
            assert_never(event)


def _register(state: Member, cmd: RegisterMember, org: Branch) -> list[MemberEvent]:
    require_org_scope(cmd.actor, cmd.formal_org_id, "register members")
    if state.exists:
        raise AlreadyExists(f"member {cmd.member_id} is already registered")
    if not org.exists:
        raise NotFound(f"formal organisation {cmd.formal_org_id} does not exist; establish it first")
    if cmd.status not in (MemberStatus.PROBATIONARY, MemberStatus.FULL):
        raise DomainError("a member is registered as probationary or full; standing changes come later")
    if not cmd.name.strip():
        raise DomainError("name must not be empty")
    policy = policy_on(cmd.today)
    born = birth_date_from_national_id(cmd.national_id)
    if cmd.joined_on is not None:
        if cmd.joined_on > cmd.today:
            raise DomainError(f"joined_on {cmd.joined_on} is in the future")
        if age_on(born, cmd.joined_on) < policy.minimum_age:
            raise DomainError(f"a member must be at least {policy.minimum_age} when joining; check joined_on")
    elif age_on(born, cmd.today) < policy.minimum_age:
        raise DomainError(f"a member must be at least {policy.minimum_age}; the national_id says otherwise")
    return [
        MemberRegistered(
            member_id=cmd.member_id,
            name=cmd.name.strip(),
            national_id=cmd.national_id.upper(),
            formal_org_id=cmd.formal_org_id,
            status=cmd.status,
            dues_category=cmd.dues_category,
            contact=cmd.contact,
            joined_on=cmd.joined_on,
        )
    ]


def _register_outflow(state: Member, cmd: RegisterOutflow) -> list[MemberEvent]:
    if not state.exists:
        raise NotFound(f"member {cmd.member_id} does not exist")
    require_org_scope(cmd.actor, state.formal_org_id, "register outflows of members")
    if state.status in (MemberStatus.REMOVED,):
        raise DomainError("a removed member's outflow is not registered")
    if state.away_since is not None:
        raise StateConflict(
            f"member is already registered as away in {state.destination} since {state.away_since}; "
            "register their return first"
        )
    policy = policy_on(cmd.left_on)
    if not 1 <= cmd.expected_months <= policy.max_expected_months:
        raise DomainError(f"expected_months must be between 1 and {policy.max_expected_months}")
    if cmd.left_on > cmd.today:
        raise DomainError(f"left_on {cmd.left_on} is in the future; register the outflow when the member leaves")
    for name in ("destination", "employer"):
        if not getattr(cmd, name).strip():
            raise DomainError(f"{name} must not be empty")
    # B3/B4: six months or more at a relatively fixed place calls for a transfer.
    long_stay = cmd.fixed_place and cmd.expected_months >= policy.transfer_threshold_months
    return [
        OutflowRegistered(
            member_id=cmd.member_id,
            destination=cmd.destination.strip(),
            employer=cmd.employer.strip(),
            contact=cmd.contact,
            left_on=cmd.left_on,
            expected_months=cmd.expected_months,
            fixed_place=cmd.fixed_place,
            instrument_advised=Instrument.TRANSFER if long_stay else Instrument.ACTIVITY_CERTIFICATE,
            policy_version=policy.version,
        )
    ]
