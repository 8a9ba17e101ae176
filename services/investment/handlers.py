"""Investment command handlers: load, fold, decide, append — and the first-referral index a registration reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, cast

import asyncpg

from services.investment.contract.commands import (
    AdvanceLead,
    ClaimReward,
    ConfirmLanded,
    DropLead,
    RecordFundsArrived,
    RegisterLead,
)
from services.investment.contract.events import LeadEvent
from services.investment.domain import leads, matching
from services.investment.policy import DEFAULT_INVESTMENT_POLICIES, POLICY_BOOK, InvestmentPolicy
from services.kernel import policy_stream
from services.kernel.handling import execute, fold
from services.kernel.reservations import Reservations
from services.kernel.store import AppendResult, CommandMeta, EventStore
from services.pure.dates import effective_on
from services.pure.policy_data import (
    PublishPolicyChange,
    in_force,
)

Store = EventStore[Any]

#: The steps on a registered lead: their rules need the lead's own stream and the policy in force.
LeadStep = AdvanceLead | RecordFundsArrived | ConfirmLanded | DropLead | ClaimReward

# A stream holds only one lead's events, so the lead's evolve is used on the service-wide event type here.
_evolve_lead = cast(Callable[[leads.Lead, Any], leads.Lead], leads.evolve)
_evolve_index = cast(Callable[[matching.LeadIndex, Any], matching.LeadIndex], matching.index_evolve)

INDEXES = """
CREATE INDEX IF NOT EXISTS events_lead_match_key ON events ((data::jsonb ->> 'match_key'))
    WHERE stream_type = 'lead';
"""


async def install(pool: asyncpg.Pool) -> None:
    await pool.execute(INDEXES)


async def earlier_lead(store: Store, key: str) -> str | None:
    """The open first registration under ``key``: the lead index folded from that key's events."""
    rows = await store.pool.fetch(
        "SELECT position FROM events WHERE stream_type = 'lead' AND data::jsonb ->> 'match_key' = $1"
        " ORDER BY position", key,
    )
    events = [r.event for r in await store.read_positions([row["position"] for row in rows])]
    return matching.index_lookup(fold(_evolve_index, matching.INITIAL_INDEX, events), key)


async def investment_policy(store: Store, day: date) -> InvestmentPolicy:
    """The investment policy in force on ``day``: its code version overlaid with the county's published changes
    (a tiny stream, read before the lead's own: a change published meanwhile starts after today)."""
    return in_force(DEFAULT_INVESTMENT_POLICIES, await policy_stream.published_changes(store), "investment", day)


async def publish_policy_change(store: Store, cmd: PublishPolicyChange, meta: CommandMeta) -> AppendResult:
    """A county setting of investment changed from a day after today: one event on the policy stream."""
    return await policy_stream.publish_policy_change(store, cmd, meta, POLICY_BOOK)


def recorded(store: Store, cmd: Any,
             decide: Callable[[leads.Lead], Any]) -> Callable[[leads.Lead], Awaitable[list[Any]]]:
    """``decide`` behind the recording rule, by the investment policy in force on the recording day as published."""
    return policy_stream.recorded(store, cmd, decide, _investment_on)


def _investment_on(published: policy_stream.Published, day: date) -> policy_stream.RecordingPolicy:
    return in_force(DEFAULT_INVESTMENT_POLICIES, published, "investment", day)


async def register_lead(store: Store, cmd: RegisterLead, meta: CommandMeta) -> AppendResult:
    """First referral wins: a first registration claims its investor + project's key in its own append, so of
    registrations racing on any number of instances exactly one is first; the others read again and are
    recorded as duplicates of it."""
    key = matching.match_key(cmd.investor, cmd.project)

    async def decide(state: leads.Lead) -> list[LeadEvent]:
        return leads.decide(state, cmd, earlier_lead_id=await earlier_lead(store, key))

    return await execute(store, stream_id=cmd.lead_id, stream_type="lead", evolve=_evolve_lead,
                         initial=leads.INITIAL, decide=recorded(store, cmd, decide), meta=meta,
                         reserve=first_referral)


async def lead_step(store: Store, cmd: LeadStep, meta: CommandMeta) -> AppendResult:
    """Any later step on a lead, with the investment policy in force on the command's day."""
    policy = await investment_policy(store, effective_on(cmd))

    def decide(state: leads.Lead) -> list[LeadEvent]:
        return leads.decide(state, cmd, policy=policy)

    return await execute(store, stream_id=cmd.lead_id, stream_type="lead", evolve=_evolve_lead,
                         initial=leads.INITIAL, decide=recorded(store, cmd, decide), meta=meta,
                         reserve=first_referral)


def first_referral(state: leads.Lead, events: Sequence[LeadEvent]) -> Reservations:
    """The first-referral key a lead's new events claim or give back, written with them."""
    claim, release = matching.first_referral_keys(events)
    return Reservations(claim=claim, release=release)
