"""Projection runner: applies Kafka events to PostgreSQL read models, exactly once in effect.

Each batch of one partition is applied in ONE database transaction together with
 - the partition's checkpoint (next offset), so a crash either keeps both or neither, and
 - the per-stream version each event brings the read model to, so an event delivered twice (the
   relay publishes at least once) or out of turn is recognised and skipped.
On start the runner assigns itself every partition and seeks to the stored checkpoints — Kafka's
own committed offsets are never trusted for correctness. A read model is rebuilt by projecting into
a fresh schema from offset 0 (services/kernel/rebuild.py: the same statements, sent set-based).

Several instances (``shared``) share the partitions through a consumer group instead: on every assignment
each seeks to the stored checkpoints (services/kernel/kafka.py CheckpointSeeker), and a revocation waits for
the batch in flight. Exactly once holds across rebalances because a batch is applied only if the partition's
checkpoint, read under a row lock in the batch's own transaction, has not passed the batch's first offset:
an instance that applies a batch another instance has applied meanwhile (it lost the partition without
being asked, or read it from a stale position) writes nothing, and reads again from the checkpoint.

An event whose values PostgreSQL refuses as data (``asyncpg.DataError``: a NUL in text, an exponent past
``numeric``'s range, a number past ``integer``'s) would fail its batch on every try and stop its partition for
good. The edge refuses such values (services/kernel/bodies.py); should one still reach a topic, the batch is
applied again event by event, each in a savepoint, and the events refused are set aside in ``dead_letters`` with
PostgreSQL's reason — logged as errors, counted by ``dead_lettered`` — while the rest, before and after them,
are applied (services/kernel/refusals.py: the rebuild does the same). A set-aside event counts as passed, as one
that fits no schema does: its stream's later events apply, and a read waiting for its position is answered (from
read models that lack it).

Why aiokafka and not faust-streaming here: see docs/decisions/projector-runtime.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from services.kernel import logs, tracing
from services.kernel.events import Envelope, EventRegistry, UnknownEventType
from services.kernel.kafka import Checkpoints, CheckpointSeeker, assign_from_checkpoints, topic_partitions
from services.kernel.refusals import REFUSED, batch_refused, dead_letter, set_aside

log = logging.getLogger("projection")

#: One SQL statement and its arguments. Projections return them instead of running them, so the
#: runner can send runs of the same statement in one round trip (executemany; a rebuild by COPY,
#: services/kernel/bulk.py) and so projections are pure functions that unit tests call directly.
Op = tuple[str, tuple[Any, ...]]
Apply = Callable[[str, Envelope, Any], list[Op]]
#: A read model within a combined projection: its DDL, the event types it projects, its ``apply``.
Part = tuple[str, Sequence[type], Apply]

RUNNER_TABLES = """
CREATE TABLE IF NOT EXISTS {schema}.projection_checkpoints (
    topic text NOT NULL, partition int NOT NULL, next_offset bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS {schema}.projected_streams (
    source text NOT NULL, stream_id text NOT NULL, version int NOT NULL, position bigint NOT NULL,
    PRIMARY KEY (source, stream_id)
);
-- Messages that are not valid CloudEvents of ours: kept for inspection, never allowed to stall the
-- projection (a poison message would otherwise be retried forever).
CREATE TABLE IF NOT EXISTS {schema}.dead_letters (
    topic text NOT NULL, partition int NOT NULL, "offset" bigint NOT NULL, reason text NOT NULL,
    key bytea, value bytea, recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition, "offset")
);
-- One row per applied event: answers "has the event at position P been applied?" (read-your-writes).
CREATE TABLE IF NOT EXISTS {schema}.applied_events (
    source text NOT NULL, position bigint NOT NULL, PRIMARY KEY (source, position)
);
"""


def update(q: str, table: str, key: str, key_value: Any, position: int, **columns: Any) -> Op:
    """``UPDATE <table> SET position, <columns> WHERE <key> = <key_value>`` as an Op."""
    sets = ", ".join(f"{name} = ${i + 3}" for i, name in enumerate(columns))
    return (f"UPDATE {q}.{table} SET position = $2, {sets} WHERE {key} = $1", (key_value, position, *columns.values()))


@dataclass(frozen=True)
class Projection:
    """A named read model: its DDL (with a {schema} placeholder) and the statements each event needs.

    ``apply(q, envelope, event)`` gets the quoted schema name and returns the statements to run.
    """

    name: str
    ddl: str
    registries: Sequence[EventRegistry[Any]]
    apply: Apply

    @staticmethod
    def combine(name: str, registries: Sequence[EventRegistry[Any]], parts: Sequence[Part]) -> Projection:
        """One projection (one checkpoint, one transaction per batch) made of several read models.

        Each part names the event types it projects, so an event reaches only the read models that
        use it (an event of a transfer is not offered to the dues or lead read models)."""
        by_type: dict[type, list[Apply]] = {}
        for _, events, part in parts:
            for event_type in events:
                by_type.setdefault(event_type, []).append(part)

        def apply(q: str, env: Envelope, event: Any) -> list[Op]:
            return [op for part in by_type.get(type(event), ()) for op in part(q, env, event)]

        return Projection(name=name, ddl="\n".join(ddl for ddl, _, _ in parts), registries=registries, apply=apply)


async def install(conn: asyncpg.Connection, projection: Projection, schema: str) -> bool:
    """Create the read-model tables; returns True when an outdated schema was dropped to be rebuilt.

    Read models are disposable: when the DDL differs from the one the schema was built with (a new
    column, a new table), the schema is dropped with its checkpoints, and the runner projects every
    event again from offset 0 — the topics keep every event forever.
    """
    q = f'"{schema}"'
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('gb_projection_schema'))")
        built_with = None
        if await conn.fetchval("SELECT to_regclass($1)", f"{q}.projection_schema") is not None:
            built_with = await conn.fetchval(f"SELECT fingerprint FROM {q}.projection_schema WHERE name = $1",
                                             projection.name)
        has_tables = await conn.fetchval(
            "SELECT count(*) > 0 FROM information_schema.tables WHERE table_schema = $1", schema)
        outdated = bool(has_tables) and built_with != fingerprint(projection)
        if outdated:
            log.warning("read models in schema %s were built with another definition: dropping them to "
                        "project every event again", schema)
            await conn.execute(f"DROP SCHEMA {q} CASCADE")
        await create_tables(conn, projection, q)
        await mark_built(conn, projection, q)
        return outdated


def fingerprint(projection: Projection) -> str:
    """What ``install`` compares: the runner's tables and the read models' DDL."""
    return hashlib.sha256((RUNNER_TABLES + projection.ddl).encode()).hexdigest()


async def create_tables(conn: asyncpg.Connection, projection: Projection, q: str) -> None:
    """The schema ``q`` (quoted) with the runner's and the read models' tables, not yet marked as built."""
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {q}")
    await conn.execute(RUNNER_TABLES.format(schema=q))
    await conn.execute(projection.ddl.format(schema=q))
    await conn.execute(f"CREATE TABLE IF NOT EXISTS {q}.projection_schema (name text PRIMARY KEY,"
                       " fingerprint text NOT NULL, built_at timestamptz NOT NULL DEFAULT now())")


async def mark_built(conn: asyncpg.Connection, projection: Projection, q: str) -> None:
    """Record the definition the schema was built with: until then ``install`` takes its tables for outdated."""
    await conn.execute(f"INSERT INTO {q}.projection_schema (name, fingerprint) VALUES ($1, $2)"
                       " ON CONFLICT (name) DO UPDATE SET fingerprint = EXCLUDED.fingerprint", projection.name,
                       fingerprint(projection))


class ProjectionRunner:
    def __init__(
        self, pool: asyncpg.Pool, consumer: AIOKafkaConsumer, projection: Projection, topics: Sequence[str],
        *, schema: str = "public", accept: Callable[[Envelope], bool] | None = None, shared: bool = False,
    ) -> None:
        """``accept``, when given, decides which events are applied: the others are passed over (their
        offsets still count as consumed). The live projector takes every event; a replay "as of" a
        recorded time takes only those recorded by then. ``shared``: the consumer has a group, whose
        instances share the partitions (module docstring)."""
        self.pool = pool
        self.consumer = consumer
        self.projection = projection
        self.topics = list(topics)
        self.schema = schema
        self.q = f'"{schema}"'
        self.applied = 0
        self.skipped = 0
        self.accept = accept
        self.shared = shared
        #: Held while a batch is applied: a revocation waits for it.
        self.applying = asyncio.Lock()
        #: Batches not applied because the checkpoint had passed them (another instance applied them).
        self.stale_batches = 0
        #: Events set aside in ``dead_letters`` because PostgreSQL refused a value of theirs (module docstring).
        self.dead_lettered = 0
        self._registry = {r.source: r for r in projection.registries}

    async def start(self) -> None:
        async with self.pool.acquire() as conn:
            await install(conn, self.projection, self.schema)
        await self.consumer.start()
        if self.shared:
            self.consumer.subscribe(self.topics, listener=CheckpointSeeker(self.consumer, self.checkpoints,
                                                                           self.applying))
            log.info("projection %s into schema %s: partitions shared in a consumer group", self.projection.name,
                     self.schema)
            return
        partitions = await assign_from_checkpoints(self.consumer, self.topics, await self.checkpoints())
        log.info("projection %s into schema %s: %d partitions", self.projection.name, self.schema, len(partitions))

    async def checkpoints(self) -> Checkpoints:
        """The stored checkpoints of every partition."""
        return {
            (r["topic"], r["partition"]): r["next_offset"]
            for r in await self.pool.fetch(f"SELECT * FROM {self.q}.projection_checkpoints")
        }

    async def stop(self) -> None:
        await self.consumer.stop()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.poll_once()

    async def poll_once(self, timeout_ms: int = 200, batch: int = 5000) -> int:
        """Apply what Kafka has, up to ``batch`` records; larger batches mean fewer transactions."""
        batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] = {}
        fetched = await self.consumer.getmany(timeout_ms=timeout_ms, max_records=batch)
        while fetched:
            for tp, records in fetched.items():
                batches.setdefault(tp, []).extend(records)
            room = batch - sum(len(r) for r in batches.values())
            # Top up with what is already buffered; never wait for more.
            fetched = await self.consumer.getmany(timeout_ms=0, max_records=room) if room > 0 else {}
        async with self.applying:
            if self.shared:  # what was fetched for a partition since given to another instance is not ours
                assigned = self.consumer.assignment()
                batches = {tp: records for tp, records in batches.items() if tp in assigned}
            # Partitions are applied concurrently, each in its own transaction on its own connection: while
            # PostgreSQL works on one, Python decodes the next. They never touch the same rows — a record's
            # events, and every read-model row they write, live on one partition.
            moved = await asyncio.gather(*(self._apply_batch(tp, records) for tp, records in batches.items()))
            for tp, checkpoint in zip(batches, moved, strict=True):
                if checkpoint is not None and tp in self.consumer.assignment():
                    self.consumer.seek(tp, checkpoint)  # read on from where the read models are
        return sum(len(r) for r in batches.values())

    async def _apply_batch(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> int | None:
        """Apply one partition's batch with its checkpoint in one transaction. Returns None once applied (or when
        already applied whole), else the checkpoint to read on from: it had moved past the batch's start.

        A batch PostgreSQL refuses a value of is applied again event by event, setting aside the events refused
        (module docstring): a savepoint per event costs round trips that a batch of good events never pays."""
        counted = self.applied
        try:
            return await self._apply(tp, records, one_by_one=False)
        except REFUSED as exc:
            self.applied = counted  # nothing of that attempt was applied
            batch_refused(tp, records[0].offset, exc)
            return await self._apply(tp, records, one_by_one=True)

    async def _apply(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]], *,
                     one_by_one: bool) -> int | None:
        envelopes: list[tuple[ConsumerRecord[bytes, bytes], Envelope]] = []
        poison: list[tuple[ConsumerRecord[bytes, bytes], str]] = []
        for record in records:
            try:
                envelope = Envelope.from_kafka(record.headers, record.value or b"")
            except (KeyError, ValueError, UnicodeDecodeError) as exc:
                poison.append((record, f"not a Golden Bridge CloudEvent: {exc!r}"))
                continue
            if self.accept is None or self.accept(envelope):
                envelopes.append((record, envelope))
        async with self.pool.acquire() as conn, conn.transaction():
            # The checkpoint row, created if need be and locked: an instance applying the same partition at the
            # same time waits here for this transaction, then sees the checkpoint it wrote.
            await conn.execute(
                f"INSERT INTO {self.q}.projection_checkpoints (topic, partition, next_offset) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING", tp.topic, tp.partition, records[0].offset,
            )
            stored = await conn.fetchval(
                f"SELECT next_offset FROM {self.q}.projection_checkpoints WHERE topic = $1 AND partition = $2"
                " FOR UPDATE", tp.topic, tp.partition,
            )
            # Applied only if the checkpoint has not passed the batch's first record: otherwise someone (another
            # instance after a rebalance) applied some of it already. The checkpoint never moves backwards.
            if records[0].offset < stored:
                self.stale_batches += 1
                if records[-1].offset >= stored:
                    log.info("%s[%d]: batch from %d is stale (checkpoint at %d); reading on from the checkpoint",
                             tp.topic, tp.partition, records[0].offset, stored)
                    return int(stored)
                return None
            for record, reason in poison:
                log.error("dead letter %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)
                await dead_letter(conn, self.q, record, reason)
            # One read and two bulk writes per batch for the runner's own bookkeeping; only the
            # read model's own statements run per event.
            keys = sorted({(e.source, e.stream_id) for _, e in envelopes})
            rows = await conn.fetch(
                f"SELECT source, stream_id, version FROM {self.q}.projected_streams"
                " WHERE (source, stream_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
                " ORDER BY source, stream_id FOR UPDATE",
                [k[0] for k in keys], [k[1] for k in keys],
            )
            versions = {(r["source"], r["stream_id"]): r["version"] for r in rows}
            applied: list[Envelope] = []
            # Each record's statements in its own queue, in the order of its events: records never depend on
            # each other's order (module docstring), so their statements may interleave as suits the database.
            ops: dict[tuple[str, str], deque[Op]] = {}
            each: list[tuple[tuple[ConsumerRecord[bytes, bytes], Envelope], list[Op]]] = []
            for record, env in envelopes:
                key = (env.source, env.stream_id)
                current = versions.get(key, 0)
                if env.stream_version != current + 1:
                    # <= current: a duplicate from the at-least-once relay. > current + 1: its
                    # predecessor failed to publish; the relay re-sends both, in order.
                    self.skipped += 1
                    if env.stream_version > current + 1:
                        log.warning("%s v%d arrived before v%d; waiting for the relay to resend it",
                                    env.stream_id, env.stream_version, current + 1)
                    continue
                with logs.correlated(env.correlation_id), tracing.consumed_event(env, tp.topic, "project"):
                    statements = self._ops(env)
                if one_by_one:
                    each.append(((record, env), statements))
                else:
                    ops.setdefault(key, deque()).extend(statements)
                versions[key] = env.stream_version
                applied.append(env)
            if one_by_one:
                for (record, env), refusal in await run_each(conn, each):
                    self.dead_lettered += 1
                    await set_aside(conn, self.q, record, env, refusal)
            else:
                await _run(conn, list(ops.values()))
            if applied:
                last = {(e.source, e.stream_id): e for e in applied}
                await conn.execute(
                    f"INSERT INTO {self.q}.projected_streams (source, stream_id, version, position)"
                    " SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[])"
                    " ON CONFLICT (source, stream_id) DO UPDATE"
                    " SET version = EXCLUDED.version, position = EXCLUDED.position",
                    [k[0] for k in last], [k[1] for k in last], [e.stream_version for e in last.values()],
                    [e.position or 0 for e in last.values()],
                )
                await conn.execute(
                    f"INSERT INTO {self.q}.applied_events (source, position)"
                    " SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING",
                    [e.source for e in applied], [e.position or 0 for e in applied],
                )
            await conn.execute(
                f"INSERT INTO {self.q}.projection_checkpoints (topic, partition, next_offset) VALUES ($1, $2, $3)"
                " ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()",
                tp.topic, tp.partition, records[-1].offset + 1,
            )
        return None

    def _ops(self, env: Envelope) -> list[Op]:
        self.applied += 1
        return event_ops(self.projection, self._registry.get(env.source), self.q, env)


def event_ops(projection: Projection, registry: EventRegistry[Any] | None, q: str, env: Envelope) -> list[Op]:
    """The statements one event needs: its payload decoded by its source's registry, then the read models' ``apply``.
    An event of an unknown type is passed over; one whose payload does not fit its schema is set aside."""
    if registry is None:
        return []
    try:
        event = registry.decode(env.type, env.data)
    except UnknownEventType:
        with logs.correlated(env.correlation_id):
            log.warning("unknown event type %s from %s: recorded, not projected", env.type, env.source)
        return []
    except ValueError as exc:  # pydantic's ValidationError: the payload does not fit its schema
        with logs.correlated(env.correlation_id):
            log.error("event %s (%s v%d) does not fit its schema: set aside", env.id, env.stream_id,
                      env.stream_version)
        return [(
            f'INSERT INTO {q}.dead_letters (topic, partition, "offset", reason, key, value)'
            " VALUES ('event', 0, $1, $2, $3, $4) ON CONFLICT DO NOTHING",
            (env.position or 0, f"{env.type} does not fit its schema: {exc}"[:2000], env.stream_id.encode(),
             env.data),
        )]
    return projection.apply(q, env, event)


Send = Callable[[str, list[tuple[Any, ...]]], Awaitable[Any]]
K = TypeVar("K")


async def run_each(conn: asyncpg.Connection, events: Sequence[tuple[K, list[Op]]]) -> list[tuple[K, asyncpg.DataError]]:
    """Run each event's statements in order, each event in a savepoint of its own; the events whose statements
    PostgreSQL refused as data (services/kernel/refusals.py), with why. Their statements leave nothing behind; every
    other event's are run."""
    refused: list[tuple[K, asyncpg.DataError]] = []
    for key, statements in events:
        if not statements:
            continue
        try:
            async with conn.transaction():  # a savepoint: a refused event's statements are undone, none else
                await _run(conn, [deque(statements)])
        except REFUSED as exc:
            refused.append((key, exc))
    return refused


async def _run(conn: asyncpg.Connection, records: list[deque[Op]], send: Send | None = None) -> None:
    """Run every record's statements, each record's in order, in as few round trips as that allows: each round
    takes the statement most records wait to run next and runs it for all of them (and the same statement again
    where a record repeats it) as one executemany (or ``send``, given the statement and its rows). A batch of one
    event type costs a round trip per statement of its ``apply``, not one per event (issue 14: a rebuild is a
    long run of few event types)."""
    send = send or conn.executemany
    waiting = [ops for ops in records if ops]
    while waiting:
        sql = Counter(ops[0][0] for ops in waiting).most_common(1)[0][0]
        args: list[tuple[Any, ...]] = []
        for ops in waiting:
            while ops and ops[0][0] == sql:
                args.append(ops.popleft()[1])
        await send(sql, args)
        waiting = [ops for ops in waiting if ops]


async def lag(pool: asyncpg.Pool, consumer: AIOKafkaConsumer, topics: Sequence[str], schema: str = "public") -> int:
    """Events on Kafka not yet applied to the read models (end offsets minus checkpoints)."""
    partitions = [tp for t in topics for tp in await topic_partitions(consumer, t)]
    ends = await consumer.end_offsets(partitions)
    stored = {
        (r["topic"], r["partition"]): r["next_offset"]
        for r in await pool.fetch(f'SELECT * FROM "{schema}".projection_checkpoints')
    }
    return sum(max(0, end - stored.get((tp.topic, tp.partition), 0)) for tp, end in ends.items())
