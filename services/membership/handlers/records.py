"""The streams membership's handlers run commands on, and the one read of another record they share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, TypeVar, cast

from services.kernel import policy_stream
from services.kernel.handling import execute, state_of
from services.kernel.reservations import Reservations
from services.kernel.store import AppendResult, CommandMeta, EventStore
from services.membership.contract.events import MembershipEvent
from services.membership.domain import branches, person, texts
from services.membership.policy import DEFAULT_POLICIES, MembershipPolicy
from services.pure.policy_data import in_force

Store = EventStore[MembershipEvent]
S = TypeVar("S")
E = TypeVar("E")

#: The rules of one command on a person's state; an ``async def`` when it reads facts about other records.
PersonDecision = Callable[[person.Person], Sequence[MembershipEvent] | Awaitable[Sequence[MembershipEvent]]]
#: The keys a person's append claims or releases (services/kernel/reservations.py), from its state and events.
PersonReservations = Callable[[person.Person, Sequence[MembershipEvent]], Reservations]

# A stream holds only its own aggregate's events (the handler chooses the stream by record id),
# so each aggregate's evolve is used on the service-wide event type at this one boundary.
evolve_branch = cast(Callable[[branches.Organisation, Any], branches.Organisation], branches.evolve)


# A record's stream id is its own id, so Kafka keys and CloudEvents subjects are the record ids.
def branch_stream(branch_id: str) -> str:
    return branch_id


def member_stream(member_id: str) -> str:
    return member_id


def training_stream(member_id: str, year: int) -> str:
    return f"training-{member_id}-{year}"


async def organisation(store: EventStore[Any], org_id: str | None) -> branches.Organisation:
    """An organisation's state; the empty organisation (``exists`` False) when there is no id, no record, or the id
    is another kind of record's."""
    if not org_id:
        return branches.INITIAL
    return state_of(await store.load(branch_stream(org_id)), evolve_branch, branches.INITIAL, kind="branch")


async def person_of(store: EventStore[Any], person_id: str) -> person.Person:
    """A person's state (development case and membership); the empty person when the id holds no person."""
    return state_of(await store.load(member_stream(person_id)), person.evolve, person.INITIAL, kind="member")


def recorded(store: Store, cmd: Any, decide: Callable[[S], Sequence[E] | Awaitable[Sequence[E]]]
             ) -> Callable[[S], Awaitable[list[E]]]:
    """``decide`` behind the one rule of the recording axis, by the membership policy in force on the recording
    day as the county published it (services/kernel/policy_stream.py); the command's texts within their limits
    first (domain/texts.py), since every membership command is recorded through here."""
    texts.bounded(cmd)
    return policy_stream.recorded(store, cmd, decide, _membership_on)


def _membership_on(published: policy_stream.Published, day: date) -> MembershipPolicy:
    return in_force(DEFAULT_POLICIES, published, "membership", day)


async def on_person(
    store: Store, cmd: Any, person_id: str, meta: CommandMeta, decide: PersonDecision,
    reserve: PersonReservations | None = None,
) -> AppendResult:
    """Run ``decide`` on a person's one stream: their development case and their membership.

    Every command about a person — a development step, registration, standing, mobility, a transfer —
    appends to this stream at its version, so a member is never in zero or two organisations. A rule over
    several persons (one record per ID number) is held by the keys ``reserve`` names, written in the same
    append; when another person took one first, ``decide`` runs again and meets the rule as the second.
    """
    return await execute(
        store, stream_id=member_stream(person_id), stream_type="member", evolve=person.evolve,
        initial=person.INITIAL, decide=recorded(store, cmd, decide), meta=meta, reserve=reserve,
    )
