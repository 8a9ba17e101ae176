"""Dues follow the member: the reception of a transfer moves their dues account to the receiving organisation.

Why a process manager and not one transaction. The member's stream (where ``TransferReceived`` is decided)
and their dues account's stream are two aggregates, and the event store appends one stream per command:
each item of a group commit succeeds or conflicts on its own (services/kernel/store.py,
``gb_append_batch``), so two streams cannot be appended all-or-nothing without changing every service's
append. Rather than widen the kernel for one reaction, the reaction is made exactly once in effect:

- it appends ``DuesContinuedAfterTransfer`` with the idempotency key ``dues-on-reception:<event id>`` of the
  reception it follows. The store writes that key in the same transaction as the dues events, so the key is
  this reaction's checkpoint for that reception: a second run (a retry, the sweep, a restart) is answered
  with the first result and appends nothing. What the reaction decides is a pure rule
  (``domain/dues_account.py follow_reception``) that also appends nothing once the letter moved the account.
- the reception's handler runs the reaction at once, after the reception is stored, so the client's 201
  comes after the account moved in the normal case;
- a sweep (at start and every ``SWEEP_SECONDS``) reacts to every reception after its progress mark, for a
  reaction a crash or a concurrent write cut off. Appends are serialised by the store's advisory lock, so a
  position is visible only after every lower one: the sweep never passes a reception committed late. The
  mark moves only past receptions whose reaction is done (stored or found to need nothing); it is a
  shortcut, never the guarantee — losing it only makes the sweep look at old receptions again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

import asyncpg

from services.kernel.clock import now
from services.kernel.handling import state_of
from services.kernel.store import AppendResult, CommandMeta, EventStore, RecordedEvent
from services.membership.contract.events.transfers import TransferReceived
from services.membership.domain import dues, dues_account
from services.membership.domain.dues import DuesAccount
from services.membership.handlers.dues import dues_policy_state
from services.pure.errors import ConcurrencyConflict

log = logging.getLogger("dues-on-reception")

RECEIVED = "gb.membership.transfer_received.v1"
SWEEP_SECONDS = 5.0
_BATCH = 200
_evolve_dues = cast(Callable[[DuesAccount, Any], DuesAccount], dues.evolve)

_DDL = """
CREATE TABLE IF NOT EXISTS dues_reception_progress (
    name     text PRIMARY KEY,
    position bigint NOT NULL
);
"""


async def install(pool: asyncpg.Pool) -> None:
    await pool.execute(_DDL)


def key_of(reception: RecordedEvent[Any]) -> str:
    """The idempotency key of the reaction to one reception: its checkpoint, stored with its events."""
    return f"dues-on-reception:{reception.envelope.id}"


async def follow(store: EventStore[Any], reception: RecordedEvent[Any]) -> AppendResult | None:
    """React to one stored ``TransferReceived``: move the dues account, once. None: nothing to move."""
    event = reception.event
    if not isinstance(event, TransferReceived):
        return None
    env = reception.envelope
    key = key_of(reception)
    meta = CommandMeta(actor=env.actor, occurred_at=now(), correlation_id=env.correlation_id,
                       causation_id=str(env.id), idempotency_key=key, fingerprint=key)
    earlier = await store.lookup_idempotency(key, key)
    if earlier is not None:
        return earlier  # this reception's reaction is stored already
    stream = await store.load(dues.stream_id(event.member_id))
    account = state_of(stream, _evolve_dues, dues.INITIAL)
    moved = dues_account.follow_reception(account, event, await dues_policy_state(store), actor=env.actor)
    if not moved:
        return None
    return await store.append(stream, "dues", moved, meta)


async def follow_appended(store: EventStore[Any], result: AppendResult) -> None:
    """After a reception's handler stored it: react to the receptions it appended (a retry's too).

    A failure here is left to the sweep (the reception is stored; its reaction is not lost), so the client is
    answered for what it asked — the reception — whatever befalls the reaction."""
    try:
        for recorded in await store.read_positions(list(range(result.first_position, result.last_position + 1))):
            if recorded.envelope.type == RECEIVED:
                await follow(store, recorded)
    except ConcurrencyConflict:
        log.info("the dues account of %s changed meanwhile; the sweep moves it", result.stream_id)
    except Exception:
        log.exception("moving the dues after the reception on %s failed; the sweep moves them", result.stream_id)


async def sweep(store: EventStore[Any]) -> int:
    """React to every reception after the progress mark; returns how many were looked at."""
    pool = store.pool
    done = 0
    while True:
        mark = await pool.fetchval("SELECT position FROM dues_reception_progress WHERE name = 'dues'") or 0
        rows = await pool.fetch("SELECT position FROM events WHERE type = $1 AND position > $2 ORDER BY position"
                                " LIMIT $3", RECEIVED, mark, _BATCH)
        if not rows:
            return done
        for recorded in await store.read_positions([r["position"] for r in rows]):
            await follow(store, recorded)  # raises: the mark stays before this reception, tried next round
            done += 1
            await pool.execute("INSERT INTO dues_reception_progress (name, position) VALUES ('dues', $1)"
                               " ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
                               recorded.envelope.position)


async def run_sweeps(store: EventStore[Any], stop: asyncio.Event, every: float = SWEEP_SECONDS) -> None:
    """Sweep at start and every ``every`` seconds until ``stop`` is set; a failed round is logged and retried."""
    while not stop.is_set():
        try:
            moved = await sweep(store)
            if moved:
                log.info("dues followed %d received transfers", moved)
        except Exception:
            log.exception("the dues-on-reception sweep failed; trying again in %.0f s", every)
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass
