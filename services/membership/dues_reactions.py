"""Dues follow the member's record: a reception moves the dues account, the end of the membership closes it.

Two reactions of a member's dues account to facts of their record, each made exactly once in effect:

- ``RECEPTION``: the reception of a transfer within the county moves the account to the receiving organisation
  (``DuesContinuedAfterTransfer``; the rule is ``domain/dues_account.py follow_reception``);
- ``CLOSING``: a death, a removal (or a probation cancelled), or a reception by an organisation outside the county
  ends the membership here,
  and the account closes with the month it ended (``DuesAccountClosed``; the rule is ``domain/dues_closing.py
  close_on_ending``).

Why a process manager and not one transaction. The member's stream (where the fact is decided) and their dues
account's stream are two aggregates, and the event store appends one stream per command: each item of a group
commit succeeds or conflicts on its own (services/kernel/store.py, ``gb_append_batch``), so two streams cannot be
appended all-or-nothing without changing every service's append. Rather than widen the kernel for these
reactions, each is made exactly once in effect:

- it appends its events with the idempotency key ``<reaction's key prefix>:<event id>`` of the fact it follows.
  The store writes that key in the same transaction as the dues events, so the key is this reaction's checkpoint
  for that fact: a second run (a retry, the sweep, a restart) is answered with the first result and appends
  nothing. What a reaction decides is a pure rule that also appends nothing once its effect is there (the letter
  moved the account; the account is closed).
- the fact's handler runs the reactions at once, after the fact is stored, so the client's 201 comes after the
  account moved or closed in the normal case;
- a sweep per reaction (at start and every ``SWEEP_SECONDS``) reacts to every fact after that reaction's progress
  mark, for a reaction a crash or a concurrent write cut off. Appends are serialised by the store's advisory
  lock, so a position is visible only after every lower one: the sweep never passes a fact committed late. The
  mark moves only past facts whose reaction is done (stored or found to need nothing); it is a shortcut, never
  the guarantee — losing it only makes the sweep look at old facts again. A reaction new to a store starts from
  position 0, so the closing reaction also closes the accounts of members who died, were removed or transferred
  out before it existed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import asyncpg

from services.kernel.clock import now
from services.kernel.handling import state_of
from services.kernel.store import AppendResult, CommandMeta, EventStore, RecordedEvent
from services.membership import event_indexes
from services.membership.contract.events.development import ProbationCancelled
from services.membership.contract.events.dues import DuesAccountEvent
from services.membership.contract.events.members import MemberDied, MembershipRemoved
from services.membership.contract.events.transfers import TransferReceived
from services.membership.domain import dues, dues_account, dues_closing
from services.membership.domain.dues import DuesAccount
from services.membership.handlers.dues import dues_policy_state
from services.membership.policy.dues import DuesPolicy
from services.pure.errors import ConcurrencyConflict

log = logging.getLogger("dues-reactions")

SWEEP_SECONDS = 5.0
_BATCH = 200
_evolve_dues = cast(Callable[[DuesAccount, Any], DuesAccount], dues.evolve)

_DDL = """
CREATE TABLE IF NOT EXISTS dues_reception_progress (
    name     text PRIMARY KEY,
    position bigint NOT NULL
);
"""

#: A reaction's rule: the account, the fact (stored), the published scales → the dues events to append (or none).
Rule = Callable[[DuesAccount, RecordedEvent[Any], DuesPolicy], list[DuesAccountEvent]]


@dataclass(frozen=True, kw_only=True)
class Reaction:
    """One reaction of the dues account to facts of the member's record: the facts it follows (``types``, wire
    names), what it decides on each (``rule``), its idempotency keys (``<key_prefix>:<event id>``) and its progress
    mark's name in ``dues_reception_progress`` (``mark``; ``dues`` is the reception's, as it always was)."""

    types: tuple[str, ...]
    rule: Rule
    key_prefix: str
    mark: str


def _move(account: DuesAccount, fact: RecordedEvent[Any], policy: DuesPolicy) -> list[DuesAccountEvent]:
    event = fact.event
    if not isinstance(event, TransferReceived):
        return []
    return list(dues_account.follow_reception(account, event, policy, actor=fact.envelope.actor))


def _close(account: DuesAccount, fact: RecordedEvent[Any], _policy: DuesPolicy) -> list[DuesAccountEvent]:
    event = fact.event
    if not isinstance(event, MemberDied | MembershipRemoved | ProbationCancelled | TransferReceived):
        return []
    return list(dues_closing.close_on_ending(account, event, cause_id=str(fact.envelope.id),
                                             actor=fact.envelope.actor))


RECEPTION = Reaction(types=(event_indexes.TRANSFER_RECEIVED,), rule=_move, key_prefix="dues-on-reception",
                     mark="dues")
CLOSING = Reaction(types=(event_indexes.MEMBER_DIED, event_indexes.MEMBERSHIP_REMOVED,
                          event_indexes.PROBATION_CANCELLED, event_indexes.TRANSFER_RECEIVED),
                   rule=_close, key_prefix="dues-closing", mark="dues-closing")
REACTIONS = (RECEPTION, CLOSING)


async def install(pool: asyncpg.Pool) -> None:
    await pool.execute(_DDL)


def key_of(fact: RecordedEvent[Any], reaction: Reaction = RECEPTION) -> str:
    """The idempotency key of ``reaction`` to one fact: its checkpoint, stored with its events."""
    return f"{reaction.key_prefix}:{fact.envelope.id}"


async def follow(store: EventStore[Any], fact: RecordedEvent[Any], reaction: Reaction = RECEPTION
                 ) -> AppendResult | None:
    """React to one stored fact, once. None: nothing to do for this account."""
    if fact.envelope.type not in reaction.types:
        return None
    env = fact.envelope
    key = key_of(fact, reaction)
    meta = CommandMeta(actor=env.actor, occurred_at=now(), correlation_id=env.correlation_id,
                       causation_id=str(env.id), idempotency_key=key, fingerprint=key)
    earlier = await store.lookup_idempotency(key, key)
    if earlier is not None:
        return earlier  # this fact's reaction is stored already
    event = fact.event
    # A development event names the person (the member's own id once admitted); the others the member.
    stream = await store.load(dues.stream_id(event.person_id if isinstance(event, ProbationCancelled)
                                             else event.member_id))
    account = state_of(stream, _evolve_dues, dues.INITIAL, kind="dues")
    events = reaction.rule(account, fact, await dues_policy_state(store))
    if not events:
        return None
    return await store.append(stream, "dues", events, meta)


async def follow_appended(store: EventStore[Any], result: AppendResult) -> None:
    """After a handler stored facts: run every reaction to the facts it appended (a retry's too).

    A failure here is left to the sweep (the fact is stored; its reaction is not lost), so the client is answered
    for what it asked — the reception, the death, the removal — whatever befalls the reaction."""
    try:
        appended = await store.read_positions(list(range(result.first_position, result.last_position + 1)))
    except Exception:
        log.exception("reading the facts appended on %s failed; the sweeps react to them", result.stream_id)
        return
    for recorded in appended:
        for reaction in REACTIONS:
            if recorded.envelope.type not in reaction.types:
                continue
            try:
                await follow(store, recorded, reaction)
            except ConcurrencyConflict:
                log.info("the dues account of %s changed meanwhile; the %s sweep reacts", result.stream_id,
                         reaction.mark)
            except Exception:
                log.exception("the %s reaction on %s failed; its sweep reacts", reaction.mark, result.stream_id)


async def sweep(store: EventStore[Any], reaction: Reaction = RECEPTION) -> int:
    """Run ``reaction`` on every fact after its progress mark; returns how many were looked at."""
    pool = store.pool
    done = 0
    while True:
        mark = await pool.fetchval("SELECT position FROM dues_reception_progress WHERE name = $1", reaction.mark) or 0
        rows = await pool.fetch(event_indexes.facts_after(reaction.types), mark, _BATCH)
        if not rows:
            return done
        for recorded in await store.read_positions([r["position"] for r in rows]):
            await follow(store, recorded, reaction)  # raises: the mark stays before this fact, tried next round
            done += 1
            await pool.execute("INSERT INTO dues_reception_progress (name, position) VALUES ($1, $2)"
                               " ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
                               reaction.mark, recorded.envelope.position)


async def run_sweeps(store: EventStore[Any], stop: asyncio.Event, every: float = SWEEP_SECONDS) -> None:
    """Sweep every reaction at start and every ``every`` seconds until ``stop`` is set; a failed round is logged
    and retried."""
    while not stop.is_set():
        for reaction in REACTIONS:
            try:
                looked_at = await sweep(store, reaction)
                if looked_at:
                    log.info("the %s reaction looked at %d facts", reaction.mark, looked_at)
            except Exception:
                log.exception("the %s sweep failed; trying again in %.0f s", reaction.mark, every)
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass
