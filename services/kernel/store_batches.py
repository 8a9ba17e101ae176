"""Appending many streams' events in one transaction, for a run over many records (the monthly dues run),
and the answer of a batch item whose idempotency key was already used.

``append_rows`` keeps the guarantees of ``EventStore.append`` that such a run needs, set-based rather than
item by item (gb_append_batch runs several statements per item, which is what held the dues run to a few
thousand accounts a second): each stream is appended at the version it was read at, or not at all (a
conflict, answered for that stream alone); the store's append lock is held, so positions still become
visible in commit order; every event gets its outbox row in the same transaction and the relay is woken.
It takes no idempotency keys and no reservations: its callers' rules refuse a repeat by themselves.

The store and a run build their rows with ``NewRows`` — the data bytes and hash-chain links, without an
Envelope per event — and a run's rows reach PostgreSQL by COPY: binding thousands of values as
arrays costs asyncpg several isinstance checks against collections.abc per value, more than the COPY does.
When the caller says which position its reads saw, the rows are copied straight into the events table, where
the unique (stream_id, version) is the version check: a stream's rows are numbered from the version after the
one it was read at, and a stream that moved on since holds that number already. Only when one did (and when the
caller cannot say) are the rows copied aside and checked stream by stream.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.kernel.events import EventRegistry, chain_link
from services.pure.errors import ConcurrencyConflict, DomainError, IdempotencyKeyReused

#: One new event as the events table stores it: event id (text form of a UUID), stream id, stream type, version,
#: wire type, data (the JSON text), occurred at, actor, correlation id, causation id, previous link, link,
#: traceparent.
Row = tuple[str, str, str, int, str, str, datetime, str, str, str | None, bytes | None, bytes, str | None]
_COLUMNS = ("event_id", "stream_id", "stream_type", "version", "type", "data", "occurred_at", "actor",
            "correlation_id", "causation_id", "prev_hash", "hash", "traceparent")

# The lock gb_append_batch takes: one appender at a time, so positions commit in order. Notifications are sent at
# commit, and the same one twice in a transaction is sent once. The statements after it are planned for their
# positions each time: a plan made for any position would scan the whole table.
APPEND_LOCK = "pg_advisory_xact_lock(hashtext('gb_event_store_append'))"
_LOCK = (f"SELECT {APPEND_LOCK}, pg_notify('gb_outbox', ''),"
         " set_config('plan_cache_mode', 'force_custom_plan', true)")
# Read after the lock is held (a statement's snapshot is taken before it waits): every event after it is this
# append's.
_LAST = "SELECT coalesce(max(position), 0) FROM events"
_OUTBOX = """
WITH ins AS MATERIALIZED (
    SELECT position, stream_id, stream_type, type, version FROM events WHERE position > $1
), ob AS (
    INSERT INTO outbox (id, aggregatetype, aggregateid, type) SELECT position, stream_type, stream_id, type FROM ins
)
SELECT stream_id, min(position) AS first_position, max(position) AS last_position, max(version) AS version
  FROM ins GROUP BY stream_id
"""

# When a stream moved on. Per connection, emptied by every commit: the rows on their way into the events table.
_STAGE = ("CREATE TEMP TABLE IF NOT EXISTS gb_append_rows (eid uuid, sid text, st text, ver int, ty text, d json,"
          " occ timestamptz, act text, cor text, cau text, ph bytea, h bytea, tp text) ON COMMIT DELETE ROWS")
_STAGE_COLUMNS = ("eid", "sid", "st", "ver", "ty", "d", "occ", "act", "cor", "cau", "ph", "h", "tp")
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


#: The most data one event may hold, encoded. The relay publishes each event as one Kafka record, and neither its
#: producer (``max_request_size``) nor the broker (``message.max.bytes``) takes a record over 1 MiB: a larger event
#: is stored, answered with a 201, and then refused by Kafka on every try — the relay stuck behind it for good, no
#: later event of that service reaching anyone (found by the hostile review of 2026-12-02: a 1.8 MB departure).
#: The rest of the MiB is the record's headers and key, and the partners' outward CloudEvent around the data.
MAX_EVENT_BYTES = 900_000


class EventTooLarge(DomainError):
    """The command would record an event too large for Kafka to carry; nothing is written (422)."""


class NewRows:
    """New events as rows of the events table, for streams whose events share one command's metadata (one command
    of ``EventStore.append``, or a chunk of a run): the encoded data and the services.kernel.events.chain_link links
    the auditors' chain check recomputes (a unit test holds them to chain_hash), with what the events share
    computed once rather than per event."""

    def __init__(self, registry: EventRegistry[Any], *, actor: str, occurred_at: datetime, correlation_id: str,
                 causation_id: str | None = None, traceparent: str | None = None) -> None:
        self.registry = registry
        self.actor, self.occurred_at, self.correlation_id = actor, occurred_at, correlation_id
        self.causation_id, self.traceparent = causation_id, traceparent
        self._time = occurred_at.astimezone(UTC).isoformat()

    def of(self, stream_id: str, stream_type: str, version: int, last_hash: bytes | None,
           events: Sequence[Any]) -> list[Row]:
        """``events`` numbered after ``version`` of ``stream_id`` and chained after its last link ``last_hash``."""
        rows: list[Row] = []
        prev = last_hash
        for offset, event in enumerate(events, start=1):
            event_id = new_event_id()
            wire = self.registry.wire_name(event)
            data = self.registry.encode(event)
            if len(data) > MAX_EVENT_BYTES:
                raise EventTooLarge(f"this command would record an event of {len(data):,} bytes ({wire}); an event "
                                    f"holds at most {MAX_EVENT_BYTES:,}: shorten its longest texts or lists")
            link = chain_link(prev, event_id=event_id, stream_id=stream_id, version=version + offset, type=wire,
                              time=self._time, actor=self.actor, data=data)
            rows.append((event_id, stream_id, stream_type, version + offset, wire, data.decode(), self.occurred_at,
                         self.actor, self.correlation_id, self.causation_id, prev, link, self.traceparent))
            prev = link
        return rows


def new_event_id() -> str:
    """A random (version 4) UUID in its canonical text, as ``str(uuid.uuid4())`` gives it, for a third of the cost."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


async def append_rows(pool: asyncpg.Pool, rows: Sequence[Row], read_at: int | None = None
                      ) -> dict[str, tuple[int, int, int] | int]:
    """Append each stream's rows (numbered after the version it was read at, in order) if the stream is still at
    that version, all in one transaction. ``read_at``: the last position the reads of those versions saw (the
    maximum position in their snapshot), if the caller knows it. Per stream id: its (version, first position, last
    position), or — a conflict, nothing of it written — the version it had moved on to."""
    if not rows:
        return {}
    async with pool.acquire() as conn, conn.transaction():
        if read_at is None:
            await _stage(conn, rows)  # before the lock, which then covers one statement
            await conn.execute(_LOCK)
            return await _stream_by_stream(conn, read_at)
        await conn.execute(_LOCK)
        last = await conn.fetchval(_LAST)
        try:
            async with conn.transaction():  # a savepoint: a stream that moved on undoes only the copy
                await conn.copy_records_to_table("events", records=rows, columns=_COLUMNS)
        except asyncpg.UniqueViolationError:
            await _stage(conn, rows)
            return await _stream_by_stream(conn, read_at)
        return {r["stream_id"]: (r["version"], r["first_position"], r["last_position"])
                for r in await conn.fetch(_OUTBOX, last)}


async def _stage(conn: asyncpg.Connection, rows: Sequence[Row]) -> None:
    await conn.execute(_STAGE)
    await conn.copy_records_to_table("gb_append_rows", records=rows, columns=_STAGE_COLUMNS)


async def _stream_by_stream(conn: asyncpg.Connection, read_at: int | None) -> dict[str, tuple[int, int, int] | int]:
    """The staged rows checked and inserted stream by stream in one statement, under the append lock."""
    return {r["stream_id"]: r["version"] if r["conflict"] else (r["version"], r["first_position"], r["last_position"])
            for r in await conn.fetch(_INSERT, read_at)}


def conflict(stream_id: str, expected: int, current: int) -> ConcurrencyConflict:
    return ConcurrencyConflict(f"{stream_id} is at version {current}, not {expected}; reload it and send the command"
                               " again", stream_id=stream_id, current_version=current)


#: What an unkeyed fingerprint of an earlier version was replaced with (store_schema.sql forgets them).
FORGOTTEN_FINGERPRINT = "unkeyed, forgotten"


def replayed(stream_id: str, row: asyncpg.Record, fingerprint: str) -> tuple[str, int, int, int]:
    """A batch item whose idempotency key was used before: its first result, if it was the same request."""
    if row["fingerprint"] == FORGOTTEN_FINGERPRINT:
        # Whether this is a retry cannot be told any more, but the first request under the key was applied: a client
        # told to send it again under a new key could apply the same command twice.
        raise IdempotencyKeyReused(
            f"this Idempotency-Key was used before an upgrade for a request that was applied ({row['stream_id']}, "
            f"version {row['stream_version']}); if this is the same request it is done — read the record rather "
            "than send it again; only a different request takes a new key")
    if row["fingerprint"] != fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used for a different request; send a new key for a new request")
    return row["stream_id"], row["stream_version"], row["first_position"], row["last_position"]
