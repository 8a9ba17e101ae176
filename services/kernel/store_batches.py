"""Appending many streams' events in one transaction, for a run over many records (the monthly dues run),
and the answer of a batch item whose idempotency key was already used.

``append_rows`` keeps the guarantees of ``EventStore.append`` that such a run needs, set-based rather than
item by item (gb_append_batch runs several statements per item, which is what held the dues run to a few
thousand accounts a second): each stream is appended at the version it was read at, or not at all (a
conflict, answered for that stream alone); the store's append lock is held, so positions still become
visible in commit order; every event gets its outbox row in the same transaction and the relay is woken.
It takes no idempotency keys and no reservations: its callers' rules refuse a repeat by themselves.

A run builds its rows with ``NewRows`` — the bytes and hash-chain links ``EventStore._envelopes`` would
give, without an Envelope per event — and they reach PostgreSQL by COPY: binding thousands of values as
arrays costs asyncpg several isinstance checks against collections.abc per value, more than the COPY does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.kernel.events import EventRegistry, chain_link
from services.pure.errors import ConcurrencyConflict, IdempotencyKeyReused

#: One new event as the events table stores it: event id (text form of a UUID), stream id, stream type, version,
#: wire type, data (the JSON text), occurred at, actor, correlation id, causation id, previous link, link,
#: traceparent.
Row = tuple[str, str, str, int, str, str, datetime, str, str, str | None, bytes | None, bytes, str | None]

# Per connection, emptied by every commit: the rows of one append on their way into the events table. Their data
# is checked to be JSON on the way in, before the append lock is taken.
_STAGE = ("CREATE TEMP TABLE IF NOT EXISTS gb_append_rows (eid uuid, sid text, st text, ver int, ty text, d json,"
          " occ timestamptz, act text, cor text, cau text, ph bytea, h bytea, tp text) ON COMMIT DELETE ROWS")
_STAGE_COLUMNS = ("eid", "sid", "st", "ver", "ty", "d", "occ", "act", "cor", "cau", "ph", "h", "tp")
# Notifications are sent at commit, and the same one twice in a transaction is sent once: a wake-up after
# an append whose streams all conflicted finds nothing to publish, which costs the relay one look. The insert's
# plan is made for its read position each time: a plan made for any position would scan the whole table.
_LOCK = ("SELECT pg_advisory_xact_lock(hashtext('gb_event_store_append')), pg_notify('gb_outbox', ''),"
         " set_config('plan_cache_mode', 'force_custom_plan', true)")
# A stream's rows are numbered after the version it was read at, so its first row says which that was. Whether it
# is still at that version: when the caller says which position its reads saw ($1), only a stream with an event
# after that position can have moved on — the append lock makes positions visible in commit order, so everything
# appended since those reads is there — and only those streams are looked up; otherwise every stream is.
_INSERT = """
WITH recent AS MATERIALIZED (
    SELECT DISTINCT stream_id FROM events WHERE $1::bigint IS NOT NULL AND position > $1
), heads AS (
    SELECT sid, min(ver) - 1 AS expected,
           CASE WHEN $1::bigint IS NULL OR sid IN (SELECT stream_id FROM recent)
                THEN coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = sid), 0)
                ELSE min(ver) - 1 END AS version
      FROM gb_append_rows GROUP BY sid
), ins AS (
    INSERT INTO events (event_id, stream_id, stream_type, version, type, data, occurred_at, actor, correlation_id,
                        causation_id, prev_hash, hash, traceparent)
    SELECT r.eid, r.sid, r.st, r.ver, r.ty, r.d, r.occ, r.act, r.cor, r.cau, r.ph, r.h, r.tp
      FROM gb_append_rows r JOIN heads USING (sid) WHERE heads.version = heads.expected
     ORDER BY r.sid COLLATE "C", r.ver
    RETURNING position, stream_id, stream_type, type, version
), ob AS (
    INSERT INTO outbox (id, aggregatetype, aggregateid, type) SELECT position, stream_type, stream_id, type FROM ins
)
SELECT stream_id, min(position) AS first_position, max(position) AS last_position, max(version) AS version,
       false AS conflict
  FROM ins GROUP BY stream_id
 UNION ALL
SELECT sid, NULL, NULL, version, true FROM heads WHERE version <> expected
"""


class NewRows:
    """New events as rows of the events table, for streams whose events share one command's metadata (a chunk of
    a run): exactly the rows ``EventStore._envelopes`` makes — the same data bytes and the same
    services.kernel.events.chain_link links (a unit test holds them equal) — with what the events share computed
    once rather than per event."""

    def __init__(self, registry: EventRegistry[Any], *, actor: str, occurred_at: datetime, correlation_id: str,
                 causation_id: str | None = None, traceparent: str | None = None) -> None:
        self.registry = registry
        self.actor, self.occurred_at, self.correlation_id = actor, occurred_at, correlation_id
        self.causation_id, self.traceparent = causation_id, traceparent
        self._time = occurred_at.astimezone(UTC).isoformat()
        self._ids = _uuid4s()

    def of(self, stream_id: str, stream_type: str, version: int, last_hash: bytes | None,
           events: Sequence[Any]) -> list[Row]:
        """``events`` numbered after ``version`` of ``stream_id`` and chained after its last link ``last_hash``."""
        rows: list[Row] = []
        prev = last_hash
        for offset, event in enumerate(events, start=1):
            event_id = next(self._ids)
            wire = self.registry.wire_name(event)
            data = self.registry.encode(event)
            link = chain_link(prev, event_id=event_id, stream_id=stream_id, version=version + offset, type=wire,
                              time=self._time, actor=self.actor, data=data)
            rows.append((event_id, stream_id, stream_type, version + offset, wire, data.decode(), self.occurred_at,
                         self.actor, self.correlation_id, self.causation_id, prev, link, self.traceparent))
            prev = link
        return rows



def _uuid4s(batch: int = 1024) -> Iterator[str]:
    """Random (version 4) UUIDs in their text form, as ``str(uuid.uuid4())`` gives them, for a third of the cost:
    the random bytes are read from the system ``batch`` ids at a time (so never keep one of these across a fork)."""
    while True:
        hexes = os.urandom(16 * batch).hex()
        for i in range(0, len(hexes), 32):
            h = hexes[i:i + 32]
            yield f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


async def append_rows(pool: asyncpg.Pool, rows: Sequence[Row], read_at: int | None = None
                      ) -> dict[str, tuple[int, int, int] | int]:
    """Append each stream's rows (numbered after the version it was read at, in order) if the stream is still at
    that version, all in one transaction. ``read_at``: the last position the reads of those versions saw (the
    maximum position in their snapshot), if the caller knows it. Per stream id: its (version, first position, last
    position), or — a conflict, nothing of it written — the version it had moved on to."""
    answers: dict[str, tuple[int, int, int] | int] = {}
    if not rows:
        return answers
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(_STAGE)
        await conn.copy_records_to_table("gb_append_rows", records=rows, columns=_STAGE_COLUMNS)
        # The lock gb_append_batch takes: one appender at a time, so positions commit in order.
        await conn.execute(_LOCK)
        for r in await conn.fetch(_INSERT, read_at):
            answers[r["stream_id"]] = r["version"] if r["conflict"] else (
                r["version"], r["first_position"], r["last_position"])
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
