"""Organisation aggregate: the Party tree, outstation branches, committees, secretaries and terms.

One stream per organisation.
Establishing rules live here; election, approval and term rules in ``committees``.

Every text an organisation's record keeps in clear — names, destination, industry, covered units, the host's
label and committee, a moved election's reason — is refused when it holds anything shaped like a phone, ID, bank
card, passport or permit number (services/pure/personal_text.py): the event store, Kafka and the directory keep
it as written, and a person's contact belongs in membership's sealed personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import assert_never

from services.membership.contract.commands.branches import (
    AdvanceElection,
    ApproveSecretary,
    ElectCommittee,
    ElectSecretary,
    EstablishBranch,
    EstablishOrganisation,
    LinkFriendlyCommittee,
    LinkHostGuidance,
    PostponeElection,
    RegisterHostOrganisation,
)
from services.membership.contract.events.branches import (
    BranchEstablished,
    CommitteeElected,
    CommitteeSeat,
    ElectionAdvanced,
    ElectionPostponed,
    FriendlyCommitteeLinked,
    HostGuidanceLinked,
    HostOrganisationRegistered,
    OrganisationEstablished,
    OrgKind,
    SecretaryApproved,
    SecretaryElected,
)
from services.membership.contract.events.common import BuildMode, FoundingBasis
from services.membership.domain import committees, hosts
from services.membership.domain.own_streams import OWN_STREAMS
from services.membership.domain.rules import require_roles
from services.membership.policy.organisation import OrganisationPolicy, organisation_policy_on
from services.pure.dates import effective_on
from services.pure.due import DueItem
from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.pure.personal_text import not_personal
from services.pure.record_ids import chosen_id


@dataclass(frozen=True, kw_only=True)
class Organisation:
    exists: bool = False
    org_id: str = ""
    name: str = ""
    kind: OrgKind | None = None
    parent_id: str | None = None
    approval_authority: bool = False
    established_on: date | None = None
    village_or_community: bool = False
    build_mode: BuildMode | None = None
    covered_units: tuple[str, ...] = ()
    # Outstation branches (驻外党支部) only.
    is_outstation: bool = False
    founding_basis: FoundingBasis | None = None
    home_org_id: str = ""
    host_guidance_org: str = ""
    #: The registered host organisation that guides it (None: none linked; ``host_guidance_org`` may name one).
    host_org_id: str | None = None
    friendly_committee: str | None = None
    # Leadership and term.
    committee: tuple[CommitteeSeat, ...] = ()
    secretary_id: str | None = None
    deputy_secretary_id: str | None = None
    secretary_approved: bool = False
    elected_on: date | None = None
    #: start + term years; ``due_on`` is where postponements and advances moved it.
    regular_due_on: date | None = None
    due_on: date | None = None

    @property
    def branch_id(self) -> str:
        return self.org_id

    @property
    def higher_org_id(self) -> str | None:
        """The organisation that manages this one: the home organisation of an outstation branch."""
        return self.home_org_id or self.parent_id


INITIAL = Organisation()

OrganisationCommand = (
    EstablishBranch | EstablishOrganisation | LinkFriendlyCommittee | ElectCommittee | ElectSecretary
    | ApproveSecretary | PostponeElection | AdvanceElection | RegisterHostOrganisation | LinkHostGuidance
)
OrganisationEvent = (
    BranchEstablished | OrganisationEstablished | FriendlyCommitteeLinked | CommitteeElected | SecretaryElected
    | SecretaryApproved | ElectionPostponed | ElectionAdvanced | HostOrganisationRegistered | HostGuidanceLinked
)

_COMMITTEES = frozenset({OrgKind.COUNTY_COMMITTEE, OrgKind.TOWNSHIP_COMMITTEE})
#: Which kinds each kind may sit under (D1: the tree).
ALLOWED_PARENTS: dict[OrgKind, frozenset[OrgKind]] = {
    OrgKind.COUNTY_COMMITTEE: frozenset(),
    OrgKind.TOWNSHIP_COMMITTEE: frozenset({OrgKind.COUNTY_COMMITTEE}),
    OrgKind.GENERAL_BRANCH: _COMMITTEES,
    OrgKind.BRANCH: _COMMITTEES | {OrgKind.GENERAL_BRANCH},
    # B1: a temporary branch is approved by the base committee.
    OrgKind.TEMPORARY_BRANCH: _COMMITTEES,
    OrgKind.PARTY_GROUP: frozenset({OrgKind.BRANCH, OrgKind.TEMPORARY_BRANCH}),
}
_OUTSTATION_KINDS = frozenset({OrgKind.BRANCH, OrgKind.GENERAL_BRANCH})


def decide(
    state: Organisation,
    command: OrganisationCommand,
    *,
    home_org_kind: OrgKind | None = None,
    parent: Organisation | None = None,
    full_member_ids: frozenset[str] | None = None,
    full_members: int | None = None,
    members: int | None = None,
    policy: OrganisationPolicy | None = None,
    seconded_homes: Mapping[str, str] | None = None,
    host: Organisation | None = None,
    named_as_home: bool = False,
) -> list[OrganisationEvent]:
    """Context: ``home_org_kind`` (EstablishBranch), ``parent`` (EstablishOrganisation: the parent's state),
    ``full_member_ids``/``full_members``/``members`` (elections: the organisation's roster), ``seconded_homes``
    (ElectCommittee: where each seat asked for as a seconded cadre's is a full member that day), ``host`` (the
    host organisation a branch is linked to: EstablishBranch, LinkHostGuidance), ``named_as_home`` (establishing:
    whether recorded branches already name the new id as their home or parent); ``policy``: the one in force on
    the command's day unless given."""
    policy = policy or organisation_policy_on(effective_on(command))
    match command:
        case EstablishBranch():
            _not_anothers_home(command.actor, command.branch_id, named_as_home)
            return [_establish_branch(state, command, home_org_kind, policy, host)]
        case EstablishOrganisation():
            _not_anothers_home(command.actor, command.org_id, named_as_home)
            return [_establish_organisation(state, command, parent, policy)]
        case LinkFriendlyCommittee():
            return [_link_friendly_committee(state, command)]
        case ElectCommittee():
            return [committees.elect_committee(state, command, _roster(full_member_ids, full_members), members,
                                               policy, seconded_homes)]
        case ElectSecretary():
            return [committees.elect_secretary(state, command, _roster(full_member_ids, full_members), members,
                                               policy)]
        case ApproveSecretary():
            return [committees.approve_secretary(state, command)]
        case PostponeElection() | AdvanceElection():
            return [committees.move_election(state, command, policy)]
        case RegisterHostOrganisation():
            return [hosts.register_host(state, command)]
        case LinkHostGuidance():
            return [hosts.link_host_guidance(state, command, host)]
        case _:
            assert_never(command)


def evolve(state: Organisation, event: OrganisationEvent) -> Organisation:
    match event:
        case BranchEstablished():
            return Organisation(
                exists=True, org_id=event.branch_id, name=event.name, kind=event.kind,
                parent_id=event.parent_id or event.home_org_id, established_on=event.established_on,
                village_or_community=event.village_or_community, build_mode=event.build_mode,
                covered_units=event.covered_units, is_outstation=True, founding_basis=event.founding_basis,
                home_org_id=event.home_org_id, host_guidance_org=event.host_guidance_org,
                host_org_id=event.host_org_id,
            )
        case OrganisationEstablished():
            return Organisation(
                exists=True, org_id=event.org_id, name=event.name, kind=event.kind, parent_id=event.parent_id,
                approval_authority=event.approval_authority, established_on=event.established_on,
                village_or_community=event.village_or_community, build_mode=event.build_mode,
                covered_units=event.covered_units,
            )
        case FriendlyCommitteeLinked():
            return replace(state, friendly_committee=event.host_committee)
        case CommitteeElected():
            return replace(
                state, committee=event.seats, secretary_id=event.secretary_id,
                deputy_secretary_id=event.deputy_secretary_id, secretary_approved=False,
                elected_on=event.elected_on, regular_due_on=event.term_due_on, due_on=event.term_due_on,
            )
        case SecretaryElected():
            return replace(
                state, committee=(), secretary_id=event.secretary_id, deputy_secretary_id=event.deputy_secretary_id,
                secretary_approved=False, elected_on=event.elected_on, regular_due_on=event.term_due_on,
                due_on=event.term_due_on,
            )
        case SecretaryApproved():
            return replace(state, secretary_approved=True)
        case ElectionPostponed() | ElectionAdvanced():
            return replace(state, due_on=event.new_due_on)
        case HostOrganisationRegistered():
            return Organisation(exists=True, org_id=event.org_id, name=event.name, kind=OrgKind.HOST_ORGANISATION,
                                established_on=event.registered_on)
        case HostGuidanceLinked():
            return replace(state, host_org_id=event.host_org_id, host_guidance_org=event.host_name)
        case _:
            assert_never(event)


def may_admit(state: Organisation) -> bool:
    """Whether the organisation may take in new members: B1 — a temporary branch never admits (nor does a
    Party group); its people are admitted through the base committee instead."""
    return state.exists and state.kind not in (OrgKind.TEMPORARY_BRANCH, OrgKind.PARTY_GROUP, None)


def may_approve_admission(state: Organisation) -> bool:
    """D3: only an organisation with approval authority approves admissions and conversions."""
    return state.exists and state.approval_authority


def due_items(
    state: Organisation, on: date, policy: OrganisationPolicy | None = None
) -> list[DueItem]:
    """The next election, raised ``election_reminder_days`` before it is due and again once overdue."""
    policy = policy or organisation_policy_on(on)
    if not state.exists or state.due_on is None:
        return []
    if on < state.due_on - timedelta(days=policy.election_reminder_days):
        return []
    return [DueItem(kind="election_due", due_on=state.due_on, subject_id=state.org_id, overdue=on > state.due_on)]


def _roster(full_member_ids: frozenset[str] | None, full_members: int | None) -> frozenset[str]:
    if full_member_ids is None:
        raise TypeError("elections need the organisation's full_member_ids from the roster")
    if full_members is not None and full_members != len(full_member_ids):
        raise ValueError(f"full_members={full_members} but {len(full_member_ids)} full_member_ids were passed")
    return full_member_ids


def _establish_branch(
    state: Organisation, cmd: EstablishBranch, home_org_kind: OrgKind | None, policy: OrganisationPolicy,
    host: Organisation | None,
) -> BranchEstablished:
    # Branches are set up by the home organisation's committees (D6), never by a branch itself.
    require_roles(cmd.actor, "establish an outstation branch", Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
    if cmd.actor.role is Role.TOWNSHIP_COMMITTEE and cmd.actor.org_id != cmd.home_org_id:
        raise DomainError(
            f"a township committee establishes branches it manages itself: set home_org_id to {cmd.actor.org_id}"
        )
    if state.exists:
        raise AlreadyExists(f"branch {cmd.branch_id} was already established on {state.established_on}")
    if cmd.kind not in _OUTSTATION_KINDS:
        raise DomainError(
            f"an outstation branch is a branch or general branch, not a {cmd.kind.value}; "
            "set up temporary branches and Party groups with EstablishOrganisation"
        )
    _require_name_and_date(cmd.name, cmd.established_on, cmd.today)
    if home_org_kind is None and cmd.actor.role is Role.TOWNSHIP_COMMITTEE:
        home_org_kind = OrgKind.TOWNSHIP_COMMITTEE  # the actor is the home organisation (checked above)
    if cmd.founding_basis is FoundingBasis.VILLAGE and home_org_kind is not OrgKind.TOWNSHIP_COMMITTEE:
        found = home_org_kind.value if home_org_kind else "not known"
        raise DomainError(
            "a village-based outstation branch belongs to the township committee (隶属党委管理): "
            f"home_org_id must be a township committee; the kind of {cmd.home_org_id} is {found}"
        )
    if home_org_kind is not None and home_org_kind not in ALLOWED_PARENTS[cmd.kind]:
        raise DomainError(f"a {cmd.kind.value} cannot be managed by a {home_org_kind.value}; choose a committee")
    units = _covered_units(cmd.build_mode, cmd.covered_units, cmd.kind, policy)
    _require_founding_full_members(cmd.founding_full_members, policy)
    host_org_id, host_label = hosts.guiding_host(cmd, host)
    village = cmd.village_or_community
    destination = not_personal(cmd.destination, "destination",
                               instead="the city or district its members work in, e.g. \"Dongguan, Guangdong\"")
    industry = not_personal(cmd.industry, "industry", instead="the trade, e.g. \"construction\"")
    return BranchEstablished(
        branch_id=cmd.branch_id, name=cmd.name.strip(), founding_basis=cmd.founding_basis,
        build_mode=cmd.build_mode, home_org_id=cmd.home_org_id, host_guidance_org=host_label, host_org_id=host_org_id,
        destination=destination, industry=industry, established_on=cmd.established_on,
        covered_units=units, kind=cmd.kind, parent_id=cmd.parent_id or cmd.home_org_id,
        village_or_community=cmd.founding_basis is FoundingBasis.VILLAGE if village is None else village,
        founding_full_members=cmd.founding_full_members, actor=cmd.actor.label, policy_version=policy.version,
    )


def _establish_organisation(
    state: Organisation, cmd: EstablishOrganisation, parent: Organisation | None, policy: OrganisationPolicy
) -> OrganisationEstablished:
    _require_may_establish(cmd.actor, cmd.kind, cmd.parent_id, parent)
    if state.exists:
        raise AlreadyExists(f"organisation {cmd.org_id} was already established on {state.established_on}")
    chosen_id(cmd.org_id, "org_id", OWN_STREAMS)
    _require_name_and_date(cmd.name, cmd.established_on, cmd.today)
    allowed = ALLOWED_PARENTS[cmd.kind]
    if not allowed and cmd.parent_id is not None:
        raise DomainError(f"a {cmd.kind.value} is the root of the tree: leave parent_id empty")
    if allowed:
        if cmd.parent_id is None:
            kinds = " or ".join(sorted(k.value for k in allowed))
            raise DomainError(f"a {cmd.kind.value} needs a parent_id: the {kinds} above it")
        if parent is None or not parent.exists:
            raise NotFound(f"parent organisation {cmd.parent_id} does not exist; establish it first")
        if parent.kind not in allowed:
            kinds = " or ".join(sorted(k.value for k in allowed))
            raise DomainError(f"a {cmd.kind.value} sits under a {kinds}, not under a {parent.kind}")
    if cmd.approval_authority and cmd.kind not in _COMMITTEES:
        raise DomainError(
            "only county and township (base) committees hold approval authority; "
            f"a {cmd.kind.value} sends admissions to its committee"
        )
    units = _covered_units(cmd.build_mode, cmd.covered_units, cmd.kind, policy)
    if cmd.kind is OrgKind.TEMPORARY_BRANCH:
        minimum = policy.temporary_branch_min_members
        if cmd.founding_members is None or cmd.founding_members < minimum:
            raise DomainError(
                f"a temporary branch needs at least {minimum} members; give founding_members "
                f"(got {cmd.founding_members})"
            )
    elif cmd.kind is OrgKind.BRANCH:
        _require_founding_full_members(cmd.founding_members, policy)
    return OrganisationEstablished(
        org_id=cmd.org_id, name=cmd.name.strip(), kind=cmd.kind, parent_id=cmd.parent_id,
        approval_authority=cmd.approval_authority, established_on=cmd.established_on, actor=cmd.actor.label,
        approving_org_id=cmd.parent_id, policy_version=policy.version, build_mode=cmd.build_mode,
        covered_units=units, village_or_community=cmd.village_or_community, founding_members=cmd.founding_members,
    )


def _not_anothers_home(actor: Actor, org_id: str, named_as_home: bool) -> None:
    """An outstation branch whose home organisation is not recorded has that home as its township (the place
    its members' scope comes from). Recording an organisation under that id would move them into whatever
    township the new record answers to, so only the county records it."""
    if named_as_home and actor.role is not Role.COUNTY_ADMIN:
        raise Forbidden(f"{org_id} is the home organisation of recorded outstation branches, so their township "
                        "until it is recorded; the county organisation department records it")


def _require_may_establish(actor: Actor, kind: OrgKind, parent_id: str | None, parent: Organisation | None) -> None:
    """County staff set up anything; a township committee what sits under it; a secretary a Party group
    of their own branch."""
    if actor.role is Role.COUNTY_ADMIN:
        return
    if kind in _COMMITTEES:
        raise Forbidden(f"only county_admin may establish a {kind.value}; you are {actor.role.value}")
    if actor.role is Role.TOWNSHIP_COMMITTEE:
        managers = {parent_id} | ({parent.parent_id, parent.home_org_id} if parent else set())
        if actor.org_id in managers:
            return
        raise Forbidden(f"the township committee {actor.org_id} cannot establish organisations under {parent_id}")
    if kind is OrgKind.PARTY_GROUP and actor.role is Role.BRANCH_SECRETARY and actor.org_id == parent_id:
        return
    raise Forbidden(f"the role {actor.role.value} cannot establish a {kind.value} under {parent_id}")


def _link_friendly_committee(state: Organisation, cmd: LinkFriendlyCommittee) -> FriendlyCommitteeLinked:
    if not state.exists:
        raise NotFound(f"organisation {cmd.org_id} does not exist")
    require_roles(cmd.actor, "link a friendly Party committee", Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
    if cmd.actor.role is Role.TOWNSHIP_COMMITTEE and cmd.actor.org_id != state.home_org_id:
        raise Forbidden(f"only the home organisation {state.home_org_id or state.parent_id} links this branch")
    if not state.is_outstation or state.founding_basis is not FoundingBasis.TOWNSHIP:
        raise DomainError(
            "a friendly Party committee (友好党委) is co-built by township- or institution-based outstation "
            "branches only (founding basis 'township')"
        )
    host = cmd.host_committee.strip()
    if not host:
        raise DomainError("host_committee must name the host's Party committee")
    not_personal(host, "host_committee", instead="the host's Party committee by name, e.g. \"龙华街道党工委\"")
    if state.friendly_committee is not None:
        raise StateConflict(f"the branch is already linked with {state.friendly_committee}")
    if cmd.linked_on > cmd.today:
        raise DomainError(f"linked_on {cmd.linked_on} is in the future; use a date up to {cmd.today}")
    if state.established_on and cmd.linked_on < state.established_on:
        raise DomainError(f"linked_on {cmd.linked_on} is before the branch was established ({state.established_on})")
    return FriendlyCommitteeLinked(
        org_id=state.org_id, host_committee=host, linked_on=cmd.linked_on, actor=cmd.actor.label,
        approving_org_id=cmd.actor.org_id or state.home_org_id,
    )


def _require_name_and_date(name: str, established_on: date, today: date) -> None:
    if not name.strip():
        raise DomainError("name must not be empty")
    not_personal(name, "name", instead="the organisation's name, e.g. \"深圳龙华流动党员支部\"")
    if established_on > today:
        raise DomainError(f"established_on {established_on} is in the future; use a date up to {today}")


def _require_founding_full_members(count: int | None, policy: OrganisationPolicy) -> None:
    if count is not None and count < policy.branch_min_full_members:
        raise DomainError(
            f"a branch needs at least {policy.branch_min_full_members} full members ({count} given); "
            f"with fewer, join with other units in a joint branch of up to {policy.joint_branch_max_units} units"
        )


def _covered_units(
    mode: BuildMode, covered: tuple[str, ...], kind: OrgKind, policy: OrganisationPolicy
) -> tuple[str, ...]:
    units = tuple(u.strip() for u in covered)
    if any(not u for u in units) or len(set(units)) != len(units):
        raise DomainError("covered_units must be distinct, non-empty unit names")
    for unit in units:
        not_personal(unit, "covered_units", instead="each unit by its name")
    if mode is BuildMode.JOINT:
        if kind is not OrgKind.BRANCH:
            raise DomainError(f"only a branch is built jointly, not a {kind.value}")
        if len(units) < policy.joint_branch_min_units:
            raise DomainError("a joint branch covers at least two units: list them in covered_units")
        if len(units) > policy.joint_branch_max_units:
            raise DomainError(
                f"a joint branch covers at most {policy.joint_branch_max_units} units; "
                f"{len(units)} were given — split them over two branches"
            )
    elif len(units) > 1:
        raise DomainError(f"a {mode.value} branch covers one unit; use build_mode 'joint' for several")
    return units
