"""Membership command handlers: load, fold, decide, append — nothing else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any, cast

from services.kernel.handling import execute, state_of
from services.kernel.store import AppendResult, CommandMeta, EventStore
from services.membership import directory
from services.membership.contract.commands import EstablishBranch, RegisterMember, RegisterOutflow
from services.membership.contract.commands.branches import ElectCommittee, ElectSecretary, EstablishOrganisation
from services.membership.contract.commands.dues import AssessMonth
from services.membership.contract.commands.meetings import RecordMeeting
from services.membership.contract.commands.meetings import RecordTraining as TrainingCommand
from services.membership.contract.commands.members import RemoveAsLapsed
from services.membership.contract.commands.mobility import RegisterInflow
from services.membership.contract.commands.transfers import ApproveTransferOut, ReissueLetter, RequestTransfer
from services.membership.contract.events import MembershipEvent
from services.membership.domain import branches, dues, dues_ledger, dues_policy, meetings, members, person, training
from services.membership.domain.dues_arrears import dues_paid_up_to
from services.membership.domain.rules import require_org_scope
from services.pure.errors import AlreadyExists
from services.pure.identity import Role

Store = EventStore[MembershipEvent]

# A stream holds only its own aggregate's events (the handler chooses the stream by record id),
# so each aggregate's evolve is used on the service-wide event type at this one boundary.
_evolve_branch = cast(Callable[[branches.Branch, Any], branches.Branch], branches.evolve)
_evolve_member = cast(Callable[[members.Member, Any], members.Member], members.evolve)
_evolve_meeting = cast(Callable[[meetings.Meeting, Any], meetings.Meeting], meetings.evolve)
_evolve_training = cast(Callable[[training.Training, Any], training.Training], training.evolve)
_evolve_dues = cast(Callable[[Any, Any], Any], dues.evolve)
_evolve_dues_policy = cast(Callable[[Any, Any], Any], dues_policy.evolve)
_evolve_ledger = cast(Callable[[Any, Any], Any], dues_ledger.evolve_ledger)


# A record's stream id is its own id, so Kafka keys and CloudEvents subjects are the record ids.
def branch_stream(branch_id: str) -> str:
    return branch_id


def member_stream(member_id: str) -> str:
    return member_id


async def _organisation(store: Store, org_id: str | None) -> branches.Organisation:
    if not org_id:
        return branches.INITIAL
    return state_of(await store.load(branch_stream(org_id)), _evolve_branch, branches.INITIAL)


async def establish_branch(store: Store, cmd: EstablishBranch, meta: CommandMeta) -> AppendResult:
    home = await _organisation(store, cmd.home_org_id)
    return await execute(
        store, stream_id=branch_stream(cmd.branch_id), stream_type="branch",
        decide=lambda s, c: branches.decide(s, c, home_org_kind=home.kind if home.exists else None),
        evolve=_evolve_branch, initial=branches.INITIAL, command=cmd, meta=meta,
    )


async def organisation_command(store: Store, cmd: Any, meta: CommandMeta) -> AppendResult:
    """Any other command on an organisation: establishing it in the tree, elections, twinning."""

    async def facts(state: branches.Organisation) -> dict[str, Any]:
        if isinstance(cmd, EstablishOrganisation):
            return {"parent": await _organisation(store, cmd.parent_id)}
        if isinstance(cmd, ElectCommittee | ElectSecretary):
            return {"full_member_ids": await directory.full_member_ids(store.pool, cmd.org_id),
                    "members": len(await directory.member_ids(store.pool, cmd.org_id))}
        return {}

    return await execute(
        store, stream_id=branch_stream(cmd.org_id), stream_type="branch", decide=branches.decide,
        evolve=_evolve_branch, initial=branches.INITIAL, command=cmd, meta=meta, context=facts,
    )


async def record_meeting(store: Store, cmd: RecordMeeting, meta: CommandMeta) -> AppendResult:
    org = await _organisation(store, cmd.org_id)
    roster = await directory.member_ids(store.pool, cmd.org_id)
    full = await directory.full_member_ids(store.pool, cmd.org_id)
    holders = await directory.certificate_holders_at(store.pool, cmd.org_id)
    return await execute(
        store, stream_id=cmd.meeting_id, stream_type="meeting",
        decide=lambda s, c: meetings.decide(s, c, organisation=org, formal_member_ids=roster,
                                            probationary_ids=roster - full, certificate_holder_ids=holders),
        evolve=_evolve_meeting,
        initial=meetings.INITIAL, command=cmd, meta=meta,
    )


async def record_training(store: Store, cmd: TrainingCommand, meta: CommandMeta) -> AppendResult:
    formal = await directory.formal_org_of(store.pool, cmd.member_id)
    return await execute(
        store, stream_id=f"training-{cmd.member_id}-{cmd.trained_on.year}", stream_type="training",
        decide=lambda s, c: training.decide(s, c, member_org_ids=frozenset({formal} if formal else set())),
        evolve=_evolve_training,
        initial=training.INITIAL, command=cmd, meta=meta,
    )


async def register_member(store: Store, cmd: RegisterMember, meta: CommandMeta) -> AppendResult:
    async def facts(_: members.Member) -> dict[str, Any]:
        # Runs after execute's retry check, so a retried registration answers as it first did.
        # Scope first, so nobody learns from the answer whether an ID is registered where they may not look.
        require_org_scope(cmd.actor, cmd.formal_org_id, "register members")
        # One person, one member record. Checked against the directory, which is as current as the store;
        # two registrations of one ID racing in the same instant are not caught (a reservation stream would be).
        existing = await directory.member_with_national_id(store.pool, cmd.national_id)
        if existing:
            raise AlreadyExists(f"a member with this national ID is already registered as {existing}; "
                                "register an inflow or a transfer instead of a second record", member_id=existing)
        return {"formal_org": await _organisation(store, cmd.formal_org_id)}

    return await execute(
        store, stream_id=member_stream(cmd.member_id), stream_type="member", decide=members.decide,
        evolve=_evolve_member, initial=members.INITIAL, command=cmd, meta=meta, context=facts,
    )


async def register_outflow(store: Store, cmd: RegisterOutflow, meta: CommandMeta) -> AppendResult:
    return await person_command(store, cmd, meta)


async def person_command(store: Store, cmd: Any, meta: CommandMeta) -> AppendResult:
    """Any command on a person's stream: their development case or their membership."""
    if isinstance(cmd, ApproveTransferOut | ReissueLetter):
        cmd = await _with_dues_paid_up_to(store, cmd)

    async def facts(state: person.Person) -> dict[str, Any]:
        if not person.is_development(cmd):
            return await _member_facts(store, cmd)
        org_id = state.case.org_id if state.case.exists else getattr(cmd, "org_id", "")
        full = await directory.full_member_ids(store.pool, org_id)
        org = state_of(await store.load(branch_stream(org_id)), _evolve_branch, branches.INITIAL)
        return {
            "full_member_ids": full,
            "entitled_full_members": len(full),
            # Approval authority sits with the county committee and the township (base) committees.
            "approver_has_authority": cmd.actor.role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE),
            # A temporary branch (or a Party group) never admits members (B1).
            "org_is_temporary": org.exists and not branches.may_admit(org),
        }

    return await execute(
        store, stream_id=member_stream(getattr(cmd, "person_id", None) or cmd.member_id), stream_type="member",
        decide=person.decide, evolve=person.evolve,
        initial=person.INITIAL, command=cmd, meta=meta, context=facts,
    )


async def _member_facts(store: Store, cmd: Any) -> dict[str, Any]:
    """Facts about other records that member-stream rules need (see members.decide)."""
    if isinstance(cmd, RegisterInflow):
        return {"host_org": await _organisation(store, cmd.host_org_id)}
    if isinstance(cmd, RequestTransfer) and cmd.to_org_id:
        return {"receiving_org": await _organisation(store, cmd.to_org_id)}
    if isinstance(cmd, RemoveAsLapsed):
        # Dues records arrive with the dues capability; until then the ground counts months without
        # organisational life: since the last meeting the member attended, else since they joined.
        return {"months_without_dues_or_life": await directory.months_without_life(store.pool, cmd.member_id,
                                                                                   cmd.decided_on)}
    return {}


async def dues_policy_command(store: Store, cmd: Any, meta: CommandMeta) -> AppendResult:
    """Publishing a dues scale: the county's one dues-policy stream."""
    return await execute(
        store, stream_id=dues_policy.STREAM_ID, stream_type="dues-policy", decide=dues_policy.decide,
        evolve=_evolve_dues_policy, initial=dues_policy.INITIAL, command=cmd,
        meta=meta,
    )


async def dues_policy_state(store: Store) -> Any:
    return state_of(await store.load(dues_policy.STREAM_ID), _evolve_dues_policy,
                    dues_policy.INITIAL)


async def dues_command(store: Store, cmd: Any, meta: CommandMeta, *, policy: Any = None) -> AppendResult:
    """A command on a member's dues account, with the scales in force and the member's organisations.

    ``policy`` lets a run over many accounts read the published scales once.
    """
    policy = policy if policy is not None else await dues_policy_state(store)
    if isinstance(cmd, AssessMonth):  # an assessment needs no facts about other records
        facts: dict[str, Any] = {}
    else:
        member = state_of(await store.load(member_stream(cmd.member_id)), person.evolve, person.INITIAL).member
        branch = await _organisation(store, member.formal_org_id if member.exists else getattr(cmd, "org_id", None))
        facts = {"certificate_host_org_id": await directory.certificate_host_of(store.pool, cmd.member_id),
                 "next_higher_org_id": branch.parent_id or branch.home_org_id or None}
    return await execute(
        store, stream_id=dues.stream_id(cmd.member_id), stream_type="dues",
        decide=lambda s, c: dues.decide(s, c, policy=policy, **facts),
        evolve=_evolve_dues, initial=dues.INITIAL, command=cmd, meta=meta,
    )


async def remit_upward(store: Store, cmd: Any, meta: CommandMeta) -> AppendResult:
    """Passing collected dues upward: the amount must equal what the branch collected in the period."""
    policy = await dues_policy_state(store)
    rows = await store.pool.fetch(
        "SELECT position FROM events WHERE stream_type = 'dues' AND type = 'gb.membership.dues_paid.v1'"
        " AND (data::jsonb ->> 'org_id' = $1 OR data::jsonb ->> 'receiving_org_id' = $1) ORDER BY position",
        cmd.org_id,
    )
    paid: list[Any] = [r.event for r in await store.read_positions([row["position"] for row in rows])]
    try:  # the same period bounds the rule will use: the frequency in force on the period's 1 January
        scale = policy.scale_on(date(int(cmd.period[:4]), 1, 1))
        start, end = dues_ledger.period_bounds(cmd.period, scale.remittance_frequency)
    except (ValueError, KeyError):
        start = end = date.min  # a malformed period: the rule refuses it with a message
    collected = dues_ledger.collections(paid, cmd.org_id, start, end)
    return await execute(
        store, stream_id=dues_ledger.ledger_stream_id(cmd.org_id), stream_type="dues-ledger",
        decide=lambda s, c: dues_ledger.decide_ledger(s, c, collected=collected, policy=policy),
        evolve=_evolve_ledger, initial=dues_ledger.LEDGER_INITIAL,
        command=cmd, meta=meta,
    )


async def _with_dues_paid_up_to(store: Store, cmd: Any) -> Any:
    """The letter states the month up to which dues are paid (B3): taken from the member's dues account
    when there is one, so the receiving organisation continues from the next month without a gap."""
    account = state_of(await store.load(dues.stream_id(cmd.member_id)), _evolve_dues,
                       dues.INITIAL)
    if not getattr(account, "exists", False):
        return cmd
    return replace(cmd, dues_paid_up_to=dues_paid_up_to(account, cmd.issued_on, await dues_policy_state(store)))
