"""The streams membership's handlers run commands on, and the one read of another record they share."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast

from services.kernel.handling import execute, state_of
from services.kernel.store import AppendResult, CommandMeta, EventStore
from services.membership.contract.events import MembershipEvent
from services.membership.domain import branches, person
from services.membership.policy import policy_on
from services.pure.dates import noted, recording_reason

Store = EventStore[MembershipEvent]
S = TypeVar("S")
E = TypeVar("E")

#: The rules of one command on a person's state; an ``async def`` when it reads facts about other records.
PersonDecision = Callable[[person.Person], Sequence[MembershipEvent] | Awaitable[Sequence[MembershipEvent]]]

# A stream holds only its own aggregate's events (the handler chooses the stream by record id),
# so each aggregate's evolve is used on the service-wide event type at this one boundary.
evolve_branch = cast(Callable[[branches.Organisation, Any], branches.Organisation], branches.evolve)


# A record's stream id is its own id, so Kafka keys and CloudEvents subjects are the record ids.
def branch_stream(branch_id: str) -> str:
    return branch_id


def member_stream(member_id: str) -> str:
    return member_id


async def organisation(store: Store, org_id: str | None) -> branches.Organisation:
    """An organisation's state; the empty organisation (``exists`` False) when there is no id or no record."""
    if not org_id:
        return branches.INITIAL
    return state_of(await store.load(branch_stream(org_id)), evolve_branch, branches.INITIAL)


def recorded(
    cmd: Any, decide: Callable[[S], Sequence[E] | Awaitable[Sequence[E]]]
) -> Callable[[S], Awaitable[list[E]]]:
    """``decide`` behind the one rule of the recording axis: the command's effective dates are checked against
    the day it is recorded (never in the future; backdated only with a reason and within the limit of the
    policy in force on the recording day), and the reason is recorded on every event it decides."""

    async def run(state: S) -> list[E]:
        policy = policy_on(cmd.today)
        reason = recording_reason(cmd, limit_days=policy.backdating_limit_days,
                                  archive_before=policy.records_kept_from)
        decided = decide(state)
        return noted(await decided if inspect.isawaitable(decided) else decided, reason)

    return run


async def on_person(
    store: Store, cmd: Any, person_id: str, meta: CommandMeta, decide: PersonDecision
) -> AppendResult:
    """Run ``decide`` on a person's one stream: their development case and their membership.

    Every command about a person — a development step, registration, standing, mobility, a transfer —
    appends to this stream at its version, so a member is never in zero or two organisations.
    """
    return await execute(
        store, stream_id=member_stream(person_id), stream_type="member", evolve=person.evolve,
        initial=person.INITIAL, decide=recorded(cmd, decide), meta=meta,
    )
