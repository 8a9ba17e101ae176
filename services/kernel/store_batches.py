"""Appending many streams' events in one transaction, for a run over many records (the monthly dues run),
and the answer of a batch item whose idempotency key was already used.

``append_many`` keeps the guarantees of ``EventStore.append`` that such a run needs, set-based rather than
item by item (gb_append_batch runs several statements per item, which is what held the dues run to a few
thousand accounts a second): each stream is appended at the version it was read at, or not at all (a
conflict, answered for that stream alone); the store's append lock is held, so positions still become
visible in commit order; every event gets its outbox row in the same transaction and the relay is woken.
It takes no idempotency keys and no reservations: its callers' rules refuse a repeat by themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.kernel.events import Envelope
from services.pure.errors import ConcurrencyConflict, IdempotencyKeyReused

#: One stream's part: its id, the version it was read at, and its new events (hash-chained after it).
Part = tuple[str, int, Sequence[Envelope]]

_HEADS = ("SELECT s.id, coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = s.id), 0) AS version"
          " FROM unnest($1::text[]) AS s(id)")
_INSERT = """
WITH src AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::timestamptz[],
                         $8::text[], $9::text[], $10::text[], $11::bytea[], $12::bytea[], $13::text[])
         WITH ORDINALITY AS u(eid, sid, st, ver, ty, d, occ, act, cor, cau, ph, h, tp, ord)
), ins AS (
    INSERT INTO events (event_id, stream_id, stream_type, version, type, data, occurred_at, actor, correlation_id,
                        causation_id, prev_hash, hash, traceparent)
    SELECT eid, sid, st, ver, ty, d::json, occ, act, cor, cau, ph, h, tp FROM src ORDER BY ord
    RETURNING position, stream_id, stream_type, type, version
), ob AS (
    INSERT INTO outbox (id, aggregatetype, aggregateid, type) SELECT position, stream_type, stream_id, type FROM ins
)
SELECT stream_id, min(position) AS first_position, max(position) AS last_position, max(version) AS version
  FROM ins GROUP BY stream_id
"""


async def append_many(pool: asyncpg.Pool, parts: Sequence[Part]) -> dict[str, tuple[int, int, int] | int]:
    """Append every part whose stream is still at its read version, in one transaction. Per stream id: its
    (version, first position, last position), or — a conflict — the version it had moved on to."""
    ids = [stream_id for stream_id, _, _ in parts]
    if len(set(ids)) != len(ids):
        raise ValueError("each stream at most once in one append_many")
    async with pool.acquire() as conn, conn.transaction():
        # The lock gb_append_batch takes: one appender at a time, so positions commit in order.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('gb_event_store_append'))")
        heads = {r["id"]: r["version"] for r in await conn.fetch(_HEADS, ids)}
        answers: dict[str, tuple[int, int, int] | int] = {}
        cols: list[list[object]] = [[] for _ in range(13)]
        for stream_id, expected, envelopes in parts:
            if heads[stream_id] != expected:
                answers[stream_id] = heads[stream_id]
                continue
            for env in envelopes:
                for col, value in zip(cols, (
                        env.id, env.stream_id, env.stream_type, env.stream_version, env.type, env.data.decode(),
                        env.time, env.actor, env.correlation_id, env.causation_id, env.prev_hash, env.hash,
                        env.traceparent), strict=True):
                    col.append(value)
        if cols[0]:
            for r in await conn.fetch(_INSERT, *cols):
                answers[r["stream_id"]] = (r["version"], r["first_position"], r["last_position"])
            await conn.execute("SELECT pg_notify('gb_outbox', '')")
    return answers


def conflict(stream_id: str, expected: int, current: int) -> ConcurrencyConflict:
    return ConcurrencyConflict(f"{stream_id} is at version {current}, not {expected}; reload it and send the command"
                               " again", stream_id=stream_id, current_version=current)


def replayed(stream_id: str, row: asyncpg.Record, fingerprint: str) -> tuple[str, int, int, int]:
    """A batch item whose idempotency key was used before: its first result, if it was the same request."""
    if row["fingerprint"] != fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used for a different request; send a new key for a new request")
    return row["stream_id"], row["stream_version"], row["first_position"], row["last_position"]
