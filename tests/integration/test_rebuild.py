"""A rebuild (services/kernel/rebuild.py) against the live runner on the same topic, on the real Kafka and PostgreSQL
of ``./gb test``: row for row the same read models — duplicates, an event out of turn, a record that is no
CloudEvent and a payload that fits no schema included, and index for index — whether a run of statements went by
COPY, through a staging table or one statement per row; and a rebuild stopped half-way leaves a schema that
``install`` drops."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from services.kernel.bulk import Bulk
from services.kernel.events import Envelope, EventRegistry, encode
from services.kernel.kafka import event_consumer, event_producer
from services.kernel.projection import Op, Projection, install
from services.kernel.projection_runner import ProjectionRunner
from services.kernel.rebuild import Rebuild
from services.kernel.settings import Settings
from tests.integration.topics import scratch_topic

SOURCE = "/golden-bridge/rebuild-test"
NOTED = "gb.rebuildtest.noted.v1"


@dataclass(frozen=True, kw_only=True)
class Noted:
    n: int
    tag: str


REGISTRY: EventRegistry[Noted] = EventRegistry(source=SOURCE, events={NOTED: Noted})
DDL = """
CREATE TABLE IF NOT EXISTS {schema}.notes (stream text, n int, tag text, position bigint NOT NULL,
    PRIMARY KEY (stream, n));
CREATE INDEX IF NOT EXISTS notes_tag ON {schema}.notes (tag);
CREATE TABLE IF NOT EXISTS {schema}.first_tags (stream text PRIMARY KEY, tag text NOT NULL, shout text NOT NULL);
CREATE TABLE IF NOT EXISTS {schema}.sightings (stream text, n int, PRIMARY KEY (stream, n));
CREATE TABLE IF NOT EXISTS {schema}.tag_counts (stream text, tag text, times int NOT NULL, PRIMARY KEY (stream, tag));
CREATE TABLE IF NOT EXISTS {schema}.latest (stream text PRIMARY KEY, n int NOT NULL);
"""


def _apply(q: str, env: Envelope, event: Any) -> list[Op]:
    """One statement of each kind Bulk tells apart: a plain INSERT (COPY), an INSERT of expressions keeping the first
    of a key (staged; a stream's first tag), INSERTs of their parameters keeping the first of a key (COPYed while no
    run of them conflicts, as the sightings' never do; staged once one has, as latest's do: each event of a stream
    inserts its row), an upsert and an UPDATE (one statement per row). As in every read model,
    a row is written by one stream's events only: partitions are written concurrently, and no row may depend on the
    order of two streams' events (services/gateway/readmodels/__init__.py)."""
    return [
        (f"INSERT INTO {q}.notes (stream, n, tag, position) VALUES ($1,$2,$3,$4)",
         (env.stream_id, event.n, event.tag, env.position or 0)),
        (f"INSERT INTO {q}.first_tags (stream, tag, shout) VALUES ($1,$2,upper($2))"
         " ON CONFLICT (stream) DO NOTHING", (env.stream_id, event.tag)),
        (f"INSERT INTO {q}.sightings (stream, n) VALUES ($1, $2) ON CONFLICT DO NOTHING", (env.stream_id, event.n)),
        (f"INSERT INTO {q}.tag_counts VALUES ($1, $2, 1) ON CONFLICT (stream, tag)"
         " DO UPDATE SET times = tag_counts.times + 1", (env.stream_id, event.tag)),
        (f"INSERT INTO {q}.latest (stream, n) VALUES ($1, $2) ON CONFLICT (stream) DO NOTHING", (env.stream_id, 0)),
        (f"UPDATE {q}.latest SET n = $2 WHERE stream = $1", (env.stream_id, event.n)),
    ]


PROJECTION = Projection(name="rebuild-test", ddl=DDL, registries=[REGISTRY], apply=_apply)
#: The runner's bookkeeping that differs by nature: offsets reached, and when the schema was built.
NOT_COMPARED = {"projection_checkpoints", "projection_schema"}


def envelope(stream: str, version: int, position: int, data: bytes | None = None) -> Envelope:
    return Envelope(id=uuid.uuid4(), source=SOURCE, type=NOTED, time=datetime.now(UTC), subject=stream,
                    stream_id=stream, stream_type="note", stream_version=version, actor="test", correlation_id="c",
                    causation_id=None, data=data or encode(Noted(n=version, tag=f"t{position % 7}")), prev_hash=None,
                    hash=b"\x00" * 32, position=position)


@pytest.fixture
async def topic(settings: Settings) -> AsyncIterator[str]:
    async with scratch_topic(settings, "rebuild", 3) as name:
        yield name


async def _publish(settings: Settings, topic: str) -> int:
    """40 streams of 5 events, sent as an at-least-once relay may: some twice, one stream's v3 before its v2 (then
    both again, in order), a record that is no CloudEvent, a payload that fits no schema."""
    envelopes: list[Envelope] = []
    position = 0
    for version in range(1, 6):
        for s in range(40):
            position += 1
            envelopes.append(envelope(f"s{s}", version, position))
    out_of_turn = [e for e in envelopes if e.stream_id == "s3" and e.stream_version in (2, 3)]
    sends = [e for e in envelopes if e not in out_of_turn]
    at = sends.index(next(e for e in sends if e.stream_id == "s3" and e.stream_version == 4))
    sends[at:at] = [out_of_turn[1], *out_of_turn]  # v3 (skipped), then v2 and v3 resent
    sends[50:50] = sends[10:30]  # duplicates
    sends.append(envelope("s-bad", 1, position + 1, data=b'{"n": "not a number"}'))
    producer = event_producer(settings, "gb-test-rebuild")
    await producer.start()
    try:
        for env in sends:
            await producer.send_and_wait(topic, env.data, key=env.stream_id.encode(), headers=env.kafka_headers())
        await producer.send_and_wait(topic, b"not json", key=b"s0", headers=[("ce_id", b"nonsense")])
    finally:
        await producer.stop()
    return len(sends) + 1


async def _tables(pool: asyncpg.Pool, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    names = [r["table_name"] for r in await pool.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema)]
    out = {}
    for name in sorted(set(names) - NOT_COMPARED):
        rows = [{k: v for k, v in r.items() if k != "recorded_at"}
                for r in await pool.fetch(f'SELECT * FROM "{schema}"."{name}"')]
        out[name] = sorted((tuple(r.values()) for r in rows), key=repr)
    return out


async def _indexes(pool: asyncpg.Pool, schema: str) -> list[tuple[str, str]]:
    return sorted((r["indexname"], r["indexdef"].replace(schema, "{schema}")) for r in await pool.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1", schema))


async def test_a_rebuild_equals_the_live_runner_row_for_row(
        kernel_pool: asyncpg.Pool, settings: Settings, topic: str) -> None:
    sent = await _publish(settings, topic)
    live, rebuilt = f"live_{uuid.uuid4().hex[:8]}", f"rebuilt_{uuid.uuid4().hex[:8]}"
    runner = ProjectionRunner(kernel_pool, event_consumer(settings, "gb-test-live"), PROJECTION, [topic], schema=live)
    await runner.start()
    try:
        consumed = 0
        while consumed < sent:
            consumed += await runner.poll_once(timeout_ms=500, batch=37)  # batches of every size, mid-run
    finally:
        await runner.stop()
    build = Rebuild(settings.dsn("kernel_test"), event_consumer(settings, "gb-test-rebuild"), PROJECTION, [topic],
                    schema=rebuilt)
    try:
        assert await build.run(asyncio.Event()) is True
        expected = await _tables(kernel_pool, live)
        assert len(expected["notes"]) == 200 and len(expected["dead_letters"]) == 2
        assert await _tables(kernel_pool, rebuilt) == expected
        indexes = await _indexes(kernel_pool, live)
        assert "notes_tag" in dict(indexes) and await _indexes(kernel_pool, rebuilt) == indexes  # made last, as well
        assert (build.applied, build.skipped) == (runner.applied, runner.skipped) == (201, 21)
        async with kernel_pool.acquire() as conn:
            assert await install(conn, PROJECTION, rebuilt) is False  # marked built: a live runner goes on from it
    finally:
        await kernel_pool.execute(f'DROP SCHEMA IF EXISTS "{live}" CASCADE; DROP SCHEMA IF EXISTS "{rebuilt}" CASCADE')


async def test_each_way_of_writing_a_run_stores_what_one_statement_per_row_stores(kernel_pool: asyncpg.Pool) -> None:
    def runs(q: str) -> list[tuple[str, list[tuple[Any, ...]]]]:
        """Three runs of each statement, as three batches of 30 events of 10 streams would send them."""
        out: list[tuple[str, list[tuple[Any, ...]]]] = []
        for n in range(3):
            ops = [_apply(q, envelope(f"s{i % 10}", 1 + n, 100 * n + i), Noted(n=100 * n + i, tag=f"t{(i + n) % 5}"))
                   for i in range(30)]
            out.extend((ops[0][k][0], [o[k][1] for o in ops]) for k in range(len(ops[0])))
        return out

    schemas = [f"bulk_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    try:
        async with kernel_pool.acquire() as by_row, kernel_pool.acquire() as by_run:
            for schema, conn in zip(schemas, (by_row, by_run), strict=True):
                await conn.execute(f'CREATE SCHEMA "{schema}"; ' + DDL.format(schema=f'"{schema}"'))
            for sql, rows in runs(f'"{schemas[0]}"'):
                async with by_row.transaction():
                    await by_row.executemany(sql, rows)
            bulk = Bulk(by_run)
            for sql, rows in runs(f'"{schemas[1]}"'):
                async with by_run.transaction():
                    await bulk.send(sql, rows)
            plans = [(p.copy, p.staged, p.copy_first) for p in bulk._plans.values()]
            assert plans == [(True, False, False), (False, True, False), (False, True, True), (False, False, False),
                             (False, True, True), (False, False, False)]
            assert [sql.split(" (")[0] for sql in bulk._conflicted] == [f'INSERT INTO "{schemas[1]}".latest']
            await by_run.execute("DISCARD TEMP")
        assert await _tables(kernel_pool, schemas[1]) == await _tables(kernel_pool, schemas[0])
    finally:
        for schema in schemas:
            await kernel_pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def test_a_rebuild_stopped_half_way_leaves_a_schema_install_drops(
        kernel_pool: asyncpg.Pool, settings: Settings, topic: str) -> None:
    await _publish(settings, topic)
    schema = f"stopped_{uuid.uuid4().hex[:8]}"
    stop = asyncio.Event()
    stop.set()
    build = Rebuild(settings.dsn("kernel_test"), event_consumer(settings, "gb-test-rebuild"), PROJECTION, [topic],
                    schema=schema)
    try:
        assert await build.run(stop) is False
        async with kernel_pool.acquire() as conn:
            assert await conn.fetchval(f'SELECT count(*) FROM "{schema}".projection_schema') == 0
            assert await install(conn, PROJECTION, schema) is True  # not marked built: dropped, projected again
    finally:
        await kernel_pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
