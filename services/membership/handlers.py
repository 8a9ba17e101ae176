"""Membership command handlers: load, fold, decide, append — nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from services.kernel.handling import execute, state_of
from services.kernel.store import AppendResult, CommandMeta, EventStore
from services.membership.commands import EstablishBranch, RegisterMember, RegisterOutflow
from services.membership.domain import branches, members
from services.membership.events import MembershipEvent

Store = EventStore[MembershipEvent]

# A stream holds only its own aggregate's events (the handler chooses the stream by record id),
# so each aggregate's evolve is used on the service-wide event type at this one boundary.
_evolve_branch = cast(Callable[[branches.Branch, Any], branches.Branch], branches.evolve)
_evolve_member = cast(Callable[[members.Member, Any], members.Member], members.evolve)


# A record's stream id is its own id, so Kafka keys and CloudEvents subjects are the record ids.
def branch_stream(branch_id: str) -> str:
    return branch_id


def member_stream(member_id: str) -> str:
    return member_id


async def establish_branch(store: Store, cmd: EstablishBranch, meta: CommandMeta) -> AppendResult:
    return await execute(
        store, stream_id=branch_stream(cmd.branch_id), stream_type="branch",
        decide=branches.decide, evolve=_evolve_branch, initial=branches.INITIAL, command=cmd, meta=meta,
    )


async def register_member(store: Store, cmd: RegisterMember, meta: CommandMeta) -> AppendResult:
    org = state_of(await store.load(branch_stream(cmd.formal_org_id)), _evolve_branch, branches.INITIAL)
    return await execute(
        store, stream_id=member_stream(cmd.member_id), stream_type="member",
        decide=lambda s, c: members.decide(s, c, formal_org=org), evolve=_evolve_member,
        initial=members.INITIAL, command=cmd, meta=meta,
    )


async def register_outflow(store: Store, cmd: RegisterOutflow, meta: CommandMeta) -> AppendResult:
    return await execute(
        store, stream_id=member_stream(cmd.member_id), stream_type="member",
        decide=members.decide, evolve=_evolve_member, initial=members.INITIAL, command=cmd, meta=meta,
    )
