"""The webhook deliverer's own records in the partners database: where each HTTP subscription stands in
its partner's topic, and every delivery attempt (what the partner and the county read as the delivery log).

These are operational records, not history: the subscription's life (created, paused, resumed,
replayed) is in its events; how many tries an event took is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

DDL = """
CREATE TABLE IF NOT EXISTS webhook_cursors (
    subscription_id text PRIMARY KEY,
    -- The partner-topic offset of the next event to deliver.
    next_offset bigint NOT NULL,
    -- The replay (ReplayRequested.replay_id) last applied, so each is applied once; where the last pause stopped.
    replay_id text,
    paused_position bigint,
    -- Failed attempts in a row at next_offset. Reaching GB_WEBHOOK_MAX_FAILURES pauses the subscription; it
    -- is set back to 0 only once the pause is an event, so a crash in between pauses again, never forgets.
    failures int NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS webhook_attempts (
    id bigserial PRIMARY KEY,
    subscription_id text NOT NULL,
    event_id text NOT NULL,
    position bigint NOT NULL,
    attempt int NOT NULL,
    -- The sink's HTTP status; NULL when no answer came (connection refused, timeout).
    status int,
    error text,
    latency_ms double precision NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS webhook_attempts_by_subscription ON webhook_attempts (subscription_id, id);
"""


@dataclass(frozen=True)
class Attempt:
    id: int
    subscription_id: str
    event_id: str
    position: int
    attempt: int
    status: int | None
    error: str | None
    latency_ms: float
    at: datetime


async def install(pool: asyncpg.Pool) -> None:
    await pool.execute(DDL)


async def attempts(pool: asyncpg.Pool, subscription_id: str, *, after: int = 0, limit: int = 100) -> list[Attempt]:
    rows = await pool.fetch(
        "SELECT id, subscription_id, event_id, position, attempt, status, error, latency_ms, at FROM webhook_attempts"
        " WHERE subscription_id = $1 AND id > $2 ORDER BY id LIMIT $3", subscription_id, after, limit)
    return [Attempt(**dict(r)) for r in rows]


async def cursors(pool: asyncpg.Pool) -> dict[str, int]:
    """Each HTTP subscription's next offset in its partner's topic."""
    rows = await pool.fetch("SELECT subscription_id, next_offset FROM webhook_cursors")
    return {r["subscription_id"]: r["next_offset"] for r in rows}


def as_json(attempt: Attempt) -> dict[str, Any]:
    return {**attempt.__dict__, "at": attempt.at.isoformat()}


# -- the deliverer's writes (services/partners/webhooks.py); one deliverer is active at a time -------------


@dataclass(frozen=True)
class Cursor:
    """Where one HTTP subscription stands: the next offset to deliver and the failures in a row there."""

    subscription_id: str
    next_offset: int
    replay_id: str | None
    paused_position: int | None
    failures: int


_CURSOR = "subscription_id, next_offset, replay_id, paused_position, failures"


async def open_cursor(pool: asyncpg.Pool, subscription_id: str, start: int) -> Cursor:
    """The subscription's cursor, created at ``start`` the first time (later calls keep the stored one)."""
    await pool.execute("INSERT INTO webhook_cursors (subscription_id, next_offset) VALUES ($1, $2)"
                       " ON CONFLICT (subscription_id) DO NOTHING", subscription_id, start)
    found = await cursor(pool, subscription_id)
    assert found is not None
    return found


async def cursor(pool: asyncpg.Pool, subscription_id: str) -> Cursor | None:
    row = await pool.fetchrow(f"SELECT {_CURSOR} FROM webhook_cursors WHERE subscription_id = $1", subscription_id)
    return Cursor(**dict(row)) if row else None


async def apply_replay(pool: asyncpg.Pool, subscription_id: str, replay_id: str, offset: int) -> Cursor:
    """Move the cursor to a replay's start, once per replay (the replay's id is kept beside it)."""
    row = await pool.fetchrow(
        "UPDATE webhook_cursors SET next_offset = $3, replay_id = $2, failures = 0, updated_at = now()"
        f" WHERE subscription_id = $1 RETURNING {_CURSOR}", subscription_id, replay_id, offset)
    assert row is not None, f"no cursor for {subscription_id}"
    return Cursor(**dict(row))


async def skip_to(pool: asyncpg.Pool, subscription_id: str, next_offset: int) -> None:
    """Move past records this subscription did not select (nothing to deliver, so nothing to log)."""
    await pool.execute("UPDATE webhook_cursors SET next_offset = $2, updated_at = now()"
                       " WHERE subscription_id = $1 AND next_offset < $2", subscription_id, next_offset)


async def record_attempt(
    pool: asyncpg.Pool, subscription_id: str, *, event_id: str, position: int, attempt: int, status: int | None,
    error: str | None, latency_ms: float, delivered: bool,
) -> Cursor:
    """Log one attempt and, in the same transaction, move the cursor past a delivered event (failures back
    to 0) or count a failure there. A crash between the sink's answer and this commit delivers that one
    event again, with the same webhook-id: at least once, never a gap."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO webhook_attempts (subscription_id, event_id, position, attempt, status, error, latency_ms)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            subscription_id, event_id, position, attempt, status, error, latency_ms)
        if delivered:
            row = await conn.fetchrow(
                "UPDATE webhook_cursors SET next_offset = $2, failures = 0, updated_at = now()"
                f" WHERE subscription_id = $1 RETURNING {_CURSOR}", subscription_id, position + 1)
        else:
            row = await conn.fetchrow(
                "UPDATE webhook_cursors SET failures = failures + 1, updated_at = now()"
                f" WHERE subscription_id = $1 RETURNING {_CURSOR}", subscription_id)
    assert row is not None, f"no cursor for {subscription_id}"
    return Cursor(**dict(row))


async def last_attempt(pool: asyncpg.Pool, subscription_id: str) -> Attempt | None:
    row = await pool.fetchrow(
        "SELECT id, subscription_id, event_id, position, attempt, status, error, latency_ms, at FROM webhook_attempts"
        " WHERE subscription_id = $1 ORDER BY id DESC LIMIT 1", subscription_id)
    return Attempt(**dict(row)) if row else None


async def pause_recorded(pool: asyncpg.Pool, subscription_id: str) -> None:
    """The pause is an event now: count failures from 0 again after a resumption, and keep where it stopped."""
    await pool.execute("UPDATE webhook_cursors SET failures = 0, paused_position = next_offset, updated_at = now()"
                       " WHERE subscription_id = $1", subscription_id)
