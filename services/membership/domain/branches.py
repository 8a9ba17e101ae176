"""Outstation branch aggregate: establishing a branch under the county decision's rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import assert_never

from services.kernel.errors import AlreadyExists, DomainError
from services.kernel.identity import Role
from services.membership.commands import EstablishBranch
from services.membership.domain.rules import require_roles
from services.membership.events import BranchEstablished, BuildMode, FoundingBasis
from services.membership.policy import policy_on


@dataclass(frozen=True, kw_only=True)
class Branch:
    exists: bool = False
    branch_id: str = ""
    name: str = ""
    founding_basis: FoundingBasis | None = None
    build_mode: BuildMode | None = None
    home_org_id: str = ""
    established_on: date | None = None


INITIAL = Branch()

BranchCommand = EstablishBranch
BranchEvent = BranchEstablished


def decide(state: Branch, command: BranchCommand) -> list[BranchEvent]:
    match command:
        case EstablishBranch():
            return _establish(state, command)
        case _:
            assert_never(command)


def evolve(state: Branch, event: BranchEvent) -> Branch:
    match event:
        case BranchEstablished():
            return Branch(
                exists=True,
                branch_id=event.branch_id,
                name=event.name,
                founding_basis=event.founding_basis,
                build_mode=event.build_mode,
                home_org_id=event.home_org_id,
                established_on=event.established_on,
            )
        case _:
            assert_never(event)


def _establish(state: Branch, cmd: EstablishBranch) -> list[BranchEvent]:
    # Branches are set up by the home organisation's committees (D6), never by a branch itself.
    require_roles(cmd.actor, "establish an outstation branch", Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
    if cmd.actor.role is Role.TOWNSHIP_COMMITTEE and cmd.actor.org_id != cmd.home_org_id:
        raise DomainError(
            f"a township committee establishes branches it manages itself: set home_org_id to {cmd.actor.org_id}"
        )
    if state.exists:
        raise AlreadyExists(f"branch {cmd.branch_id} was already established on {state.established_on}")
    if not cmd.name.strip():
        raise DomainError("name must not be empty")
    if cmd.established_on > cmd.today:
        raise DomainError(f"established_on {cmd.established_on} is in the future; use a date up to {cmd.today}")
    policy = policy_on(cmd.established_on)
    units = tuple(u.strip() for u in cmd.covered_units)
    if any(not u for u in units) or len(set(units)) != len(units):
        raise DomainError("covered_units must be distinct, non-empty unit names")
    if cmd.build_mode is BuildMode.JOINT:
        if len(units) < 2:
            raise DomainError("a joint branch covers at least two units: list them in covered_units")
        if len(units) > policy.joint_branch_max_units:
            raise DomainError(
                f"a joint branch covers at most {policy.joint_branch_max_units} units; "
                f"{len(units)} were given — split them over two branches"
            )
    elif len(units) > 1:
        raise DomainError(f"a {cmd.build_mode.value} branch covers one unit; use build_mode 'joint' for several")
    return [
        BranchEstablished(
            branch_id=cmd.branch_id,
            name=cmd.name.strip(),
            founding_basis=cmd.founding_basis,
            build_mode=cmd.build_mode,
            home_org_id=cmd.home_org_id,
            host_guidance_org=cmd.host_guidance_org,
            destination=cmd.destination,
            industry=cmd.industry,
            established_on=cmd.established_on,
            covered_units=units,
        )
    ]
