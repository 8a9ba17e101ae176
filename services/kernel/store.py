"""PostgreSQL event store on asyncpg: optimistic appends with group commit, idempotency, hash chain."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Generic, TypeVar

import asyncpg

from services.kernel import store_batches
from services.kernel.events import Envelope, EventRegistry
from services.kernel.group_commit import GroupWriter, Waiting
from services.kernel.reservations import NONE, Reservations, ReservationTaken, StaleRead, reservation_columns
from services.pure.errors import AlreadyExists, Unavailable

log = logging.getLogger(__name__)

E = TypeVar("E")

#: Seconds the writer waits for a connection (or to give one back) before it fails the batch.
CONNECT_TIMEOUT = 5.0

_COLUMNS = (
    "position, event_id, stream_id, stream_type, version, type, data, occurred_at, recorded_at, "
    "actor, correlation_id, causation_id, prev_hash, hash, traceparent"
)


@dataclass(frozen=True, kw_only=True)
class CommandMeta:
    """Who asked, when, and how to recognise a retry; carried onto every event it produces."""

    actor: str
    occurred_at: datetime
    correlation_id: str
    causation_id: str | None = None
    idempotency_key: str | None = None
    fingerprint: str = ""
    #: W3C trace context of the request, stored with each event and carried on Kafka as ce_traceparent.
    traceparent: str | None = None


@dataclass(frozen=True, kw_only=True)
class AppendResult:
    stream_id: str
    stream_version: int
    first_position: int
    last_position: int
    replayed: bool = False


@dataclass(frozen=True, kw_only=True)
class RecordedEvent(Generic[E]):
    envelope: Envelope
    event: E


@dataclass(frozen=True, kw_only=True)
class Stream(Generic[E]):
    stream_id: str
    version: int = 0
    events: list[RecordedEvent[E]] = field(default_factory=list)

    @property
    def last_hash(self) -> bytes | None:
        return self.events[-1].envelope.hash if self.events else None

    @property
    def last_position(self) -> int:
        return self.events[-1].envelope.position or 0 if self.events else 0

    @property
    def stream_type(self) -> str | None:
        """The kind of record the stream holds (every event of it is appended as that kind); None while empty."""
        return self.events[0].envelope.stream_type if self.events else None


_APPEND_BATCH = (
    "SELECT * FROM gb_append_batch($1::int[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::text[],"
    " $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::bytea[], $12::bytea[], $13::text[], $14::text[],"
    " $15::int[], $16::int[], $17::text[], $18::text[], $19::int[], $20::text[], $21::text[], $22::int[], $23::text[],"
    " $24::int[])")


@dataclass(slots=True)
class _Pending:
    stream_id: str
    expected_version: int
    rows: list[store_batches.Row]
    meta: CommandMeta
    reservations: Reservations = NONE


#: A command in the writer's queue and the row of gb_append_batch it waits for.
_Waiting = Waiting[_Pending, asyncpg.Record]


class StoreUnavailable(Unavailable):
    """The event store cannot take the append now (shutting down); the command can be retried."""


def schema_sql() -> str:
    return resources.files("services.kernel").joinpath("store_schema.sql").read_text()


async def install_schema(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        # Serialise concurrent installers (several processes may start at once).
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('gb_event_store_schema'))")
            await conn.execute(schema_sql())


class EventStore(Generic[E]):
    """One service's event store.

    Appends from concurrent requests are queued and written by a single writer task, many
    commands per transaction (group commit): one fsync then covers many events, which is how
    16 concurrent single-event writers exceed what one transaction per event allows. Each
    command in a batch still succeeds or conflicts on its own. Two batches may be in flight, each
    on its own connection: one is answered while the other is in PostgreSQL.
    """

    #: Batches written at once (services/kernel/group_commit.py). The append lock lets one batch write at a time,
    #: so the second gains by overlapping this process's work with PostgreSQL's, and a third would only wait: 16
    #: writers in bench/appends.py made 2,770–2,870 events/s with one, 3,130–3,840 with two (2026-12-02).
    IN_FLIGHT = 2

    def __init__(self, pool: asyncpg.Pool, registry: EventRegistry[E], *, max_batch: int = 256) -> None:
        self.pool = pool
        self.registry = registry
        # Nothing that was queued waits forever: at shutdown it is refused, and a retry is safe.
        self._writer: GroupWriter[_Pending, asyncpg.Record] = GroupWriter(
            self._write, name="event-store", max_batch=max_batch, in_flight=self.IN_FLIGHT,
            closing=lambda: StoreUnavailable("the event store is shutting down; retry"))
        # The writer's connections between batches (one per batch in flight, taken from the pool once): a pool
        # would run its reset query after every batch, a round trip each commit waits for (measured in bench/).
        self._idle: list[asyncpg.Connection] = []
        self._started = False

    async def start(self) -> None:
        await install_schema(self.pool)
        self._started = True
        self._writer.start()

    async def stop(self) -> None:
        await self._writer.aclose()
        try:
            while self._idle:
                await self._give_back(self._idle.pop())
        except Exception:
            log.exception("could not give the writer's connections back")

    # -- reading ---------------------------------------------------------------------------

    async def load(
        self, stream_id: str, *, up_to_version: int | None = None, as_of: datetime | None = None
    ) -> Stream[E]:
        """A stream whole, up to a version, or as it was recorded at a point in time."""
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1"
            " AND ($2::int IS NULL OR version <= $2) AND ($3::timestamptz IS NULL OR recorded_at <= $3)"
            " ORDER BY version",
            stream_id,
            up_to_version,
            as_of,
        )
        events = [self._recorded(r) for r in rows]
        return Stream(stream_id=stream_id, version=events[-1].envelope.stream_version if events else 0, events=events)

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent[E]]:
        return [RecordedEvent(envelope=env, event=self.registry.decode(env.type, env.data))
                for env in await self.envelopes(after_position, limit)]

    async def envelopes(self, after_position: int = 0, limit: int = 1000) -> list[Envelope]:
        """Stored events in position order as they are, not decoded: what the auditors' feed serves, so a
        row that no longer decodes (a tampered one) is shown as it is rather than failing the read."""
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2", after_position, limit
        )
        return [self.envelope_from_row(r) for r in rows]

    async def issued(self, position: int) -> tuple[bool, int]:
        """Whether ``position`` is an event of this store, and the highest position issued so far.

        Readers use it to refuse a ``min_position`` that no command ever returned, instead of
        waiting for an event that will never come.
        """
        row = await self.pool.fetchrow(
            "SELECT EXISTS (SELECT 1 FROM events WHERE position = $1) AS issued,"
            " coalesce((SELECT max(position) FROM events), 0) AS last",
            position,
        )
        assert row is not None
        return bool(row["issued"]), int(row["last"])

    async def read_positions(self, positions: Sequence[int]) -> list[RecordedEvent[E]]:
        """Events at the given global positions, in position order."""
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM events WHERE position = ANY($1::bigint[]) ORDER BY position", list(positions)
        )
        return [self._recorded(r) for r in rows]

    async def quiet_moment(self) -> datetime:
        """The store's clock at a moment no append was in flight: every event recorded (``recorded_at``) before it has
        committed, and every event recorded after it is stamped later. An append holds the append lock from its
        first write to its commit and stamps ``recorded_at`` under it, so taking that lock for an instant waits for
        the append in flight, and the clock read next is later than every stamp already given. A read begun after
        this call sees every event recorded before the moment (services/partners/router.py)."""
        # One statement, its own transaction: the lock is taken in the subquery, which PostgreSQL does not fold into
        # the outer query (its function is volatile), so the clock is read once the lock is held.
        moment: datetime = await self.pool.fetchval(
            f"SELECT clock_timestamp() FROM (SELECT {store_batches.APPEND_LOCK}) AS held")
        return moment

    async def lookup_idempotency(self, key: str, fingerprint: str) -> AppendResult | None:
        row = await self.pool.fetchrow("SELECT * FROM idempotency_keys WHERE key = $1", key)
        if row is None:
            return None
        return self._replayed(row["stream_id"], row, fingerprint)

    def envelope_from_row(self, row: asyncpg.Record) -> Envelope:
        return Envelope(
            id=row["event_id"],
            source=self.registry.source,
            type=row["type"],
            time=row["occurred_at"],
            subject=row["stream_id"],
            stream_id=row["stream_id"],
            stream_type=row["stream_type"],
            stream_version=row["version"],
            actor=row["actor"],
            correlation_id=row["correlation_id"],
            causation_id=row["causation_id"],
            data=row["data"].encode(),
            prev_hash=row["prev_hash"],
            hash=row["hash"],
            position=row["position"],
            recorded_at=row["recorded_at"],
            traceparent=row["traceparent"],
        )

    def _recorded(self, row: asyncpg.Record) -> RecordedEvent[E]:
        env = self.envelope_from_row(row)
        return RecordedEvent(envelope=env, event=self.registry.decode(env.type, env.data))

    # -- writing ---------------------------------------------------------------------------

    async def append(
        self,
        stream: Stream[E],
        stream_type: str,
        events: Sequence[E],
        meta: CommandMeta,
        reservations: Reservations = NONE,
    ) -> AppendResult:
        """Append events after ``stream.version``; raise ConcurrencyConflict if it moved on, and a StaleDecision
        if its ``reservations`` do not hold (services/kernel/reservations.py)."""
        if not events:
            raise ValueError("nothing to append")
        if stream.stream_type not in (None, stream_type):
            # A record's stream id is its own id, and some ids are the client's to choose (a host organisation's
            # code): one chosen for a record of another kind must not add this kind's events to that stream.
            raise AlreadyExists(f"the id {stream.stream_id!r} is already used by another record: choose another id")
        if not self._started:
            raise RuntimeError("EventStore.start() was not called")
        # The events as the events table stores them: numbered after the version read, chained after its last link.
        rows = store_batches.NewRows(
            self.registry, actor=meta.actor, occurred_at=meta.occurred_at, correlation_id=meta.correlation_id,
            causation_id=meta.causation_id, traceparent=meta.traceparent,
        ).of(stream.stream_id, stream_type, stream.version, stream.last_hash, events)
        pending = _Pending(stream.stream_id, stream.version, rows, meta, reservations)
        # The answer is made of the row here, in the caller's task: off the writer's path to its next batch.
        return self._answer(pending, await self._writer.submit(pending))

    async def _write(self, batch: list[_Waiting]) -> list[_Waiting]:
        conn = await self._connection()
        try:
            again = await self._write_batch(conn, batch)
        except BaseException:
            try:  # PostgreSQL may be gone, and the transaction's state is unknown: not used again
                await self._give_back(conn)
            except Exception:
                log.exception("could not give a failed batch's connection back")
            raise
        self._idle.append(conn)
        return again

    async def _connection(self) -> asyncpg.Connection:
        while self._idle:
            conn = self._idle.pop()
            if _usable(conn):
                return conn
            await self._give_back(conn)
        return await self.pool.acquire(timeout=CONNECT_TIMEOUT)

    async def _give_back(self, conn: asyncpg.Connection) -> None:
        """Give a writer's connection back broken-or-not: closed first, so the pool never reuses a connection
        whose transaction state is unknown."""
        if not _usable(conn):
            return  # the pool already took it back (its server went away): nothing to give back
        try:
            conn.terminate()
        finally:
            await asyncio.wait_for(self.pool.release(conn), CONNECT_TIMEOUT)

    async def _write_batch(self, conn: asyncpg.Connection, batch: list[_Waiting]) -> list[_Waiting]:
        """Write a batch and hand each command its row; the commands to queue again (a key twice in the batch)."""
        commands = [w.item for w in batch]
        items = [index for index, p in enumerate(commands, start=1) for _ in p.rows]
        # The rows' columns as the functions take them, but the stream id: it is the item's.
        event_ids, _, *columns = zip(*(row for p in commands for row in p.rows), strict=True)
        rows = await conn.fetch(
            _APPEND_BATCH, items, event_ids, *columns, [p.stream_id for p in commands],
            [p.expected_version for p in commands], [len(p.rows) for p in commands],
            [p.meta.idempotency_key for p in commands], [p.meta.fingerprint for p in commands],
            *reservation_columns([p.reservations for p in commands]))
        retry: list[_Waiting] = []
        for row in rows:
            w = batch[row["item"] - 1]
            if row["status"] == "retry":
                retry.append(w)
            else:
                w.answer(row)
        return retry

    def _answer(self, p: _Pending, row: asyncpg.Record) -> AppendResult:
        status = row["status"]
        if status == "ok":
            return AppendResult(stream_id=p.stream_id, stream_version=row["stream_version"],
                                first_position=row["first_position"], last_position=row["last_position"])
        if status == "conflict":
            raise store_batches.conflict(p.stream_id, p.expected_version, row["stream_version"])
        if status == "reserved":
            raise ReservationTaken(
                f"{p.stream_id} claims a key that {row['holder']} holds; read the facts again and decide again",
                key=row["reserved_key"], holder=row["holder"], stream_id=p.stream_id)
        if status == "stale":
            raise StaleRead(
                f"{row['holder']}, which {p.stream_id}'s command read, has changed; read it again and decide again",
                read=row["holder"], stream_id=p.stream_id)
        return self._replayed(p.stream_id, row, p.meta.fingerprint)

    @staticmethod
    def _replayed(stream_id: str, row: asyncpg.Record, fingerprint: str) -> AppendResult:
        sid, version, first, last = store_batches.replayed(stream_id, row, fingerprint)
        return AppendResult(stream_id=sid, stream_version=version, first_position=first, last_position=last,
                            replayed=True)


def _usable(conn: asyncpg.Connection) -> bool:
    """Whether a connection the writer holds can still be used. When PostgreSQL goes away the pool takes
    its connections back, and every method of the writer's proxy then raises — it is simply gone."""
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:
        return False
