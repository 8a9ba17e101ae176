"""Projections: read models as pure functions of events, their schema, and how their statements are run.

A projection returns the statements each event needs (``Op``) instead of running them, so unit tests call it
directly and a runner sends runs of one statement together: the live runner (services/kernel/projection_runner.py)
applies Kafka's events exactly once in effect, a rebuild (services/kernel/rebuild.py) projects every event again
into a fresh schema, set-based. Read models are disposable: a schema built with another definition is dropped and
projected again from offset 0 (``install``).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer

from services.kernel import logs
from services.kernel.events import Envelope, EventRegistry, UnknownEventType
from services.kernel.kafka import topic_partitions
from services.kernel.refusals import REFUSED

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
                await run_ops(conn, [deque(statements)])
        except REFUSED as exc:
            refused.append((key, exc))
    return refused


async def run_ops(conn: asyncpg.Connection, records: list[deque[Op]], send: Send | None = None) -> None:
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
