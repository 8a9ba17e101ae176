"""An event whose values PostgreSQL refuses (a NUL in text, a number past ``integer``) on the real Kafka and
PostgreSQL of ``./gb test``: set aside in ``dead_letters`` with the reason, and its partition goes on — the events
before and after it, its own stream's later ones included, are applied (services/kernel/projection.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from services.kernel.events import Envelope, EventRegistry, encode
from services.kernel.kafka import event_consumer, event_producer
from services.kernel.projection import Op, Projection
from services.kernel.projection_runner import ProjectionRunner
from services.kernel.settings import Settings
from tests.integration.topics import scratch_topic

SOURCE = "/golden-bridge/refusal-test"
NAMED = "gb.refusaltest.named.v1"


@dataclass(frozen=True, kw_only=True)
class Named:
    n: int
    name: str


REGISTRY: EventRegistry[Named] = EventRegistry(source=SOURCE, events={NAMED: Named})
DDL = """
CREATE TABLE IF NOT EXISTS {schema}.names (stream text, n int, name text, PRIMARY KEY (stream, n));
CREATE TABLE IF NOT EXISTS {schema}.counts (stream text PRIMARY KEY, events int NOT NULL);
"""


def _apply(q: str, env: Envelope, event: Any) -> list[Op]:
    # Two statements, so a refused event's first one must be undone with it.
    return [
        (f"INSERT INTO {q}.counts VALUES ($1, 1) ON CONFLICT (stream) DO UPDATE SET events = counts.events + 1",
         (env.stream_id,)),
        (f"INSERT INTO {q}.names (stream, n, name) VALUES ($1, $2, $3)", (env.stream_id, event.n, event.name)),
    ]


PROJECTION = Projection(name="refusal-test", ddl=DDL, registries=[REGISTRY], apply=_apply)


def envelope(stream: str, version: int, position: int, event: Named) -> Envelope:
    return Envelope(id=uuid.uuid4(), source=SOURCE, type=NAMED, time=datetime.now(UTC), subject=stream,
                    stream_id=stream, stream_type="named", stream_version=version, actor="test", correlation_id="c",
                    causation_id=None, data=encode(event), prev_hash=None, hash=b"\x00" * 32, position=position)


@pytest.fixture
async def topic(settings: Settings) -> AsyncIterator[str]:
    async with scratch_topic(settings, "refusal", 1) as name:
        yield name


async def publish(settings: Settings, topic: str, sends: list[Envelope]) -> None:
    """``sends`` on ``topic`` in their order, keyed by stream (tests/integration/test_rebuild_refused_values.py too)."""
    producer = event_producer(settings, "gb-test-refusal")
    await producer.start()
    try:
        for env in sends:
            await producer.send_and_wait(topic, env.data, key=env.stream_id.encode(), headers=env.kafka_headers())
    finally:
        await producer.stop()


async def project_live(runner: ProjectionRunner, sent: int) -> None:
    """Poll ``runner`` (started) until it has consumed ``sent`` records, a bounded number of times."""
    consumed = 0
    for _ in range(40):
        consumed += await runner.poll_once(timeout_ms=500)
        if consumed >= sent:
            return


async def test_an_event_postgresql_refuses_is_set_aside_and_its_partition_goes_on(
        kernel_pool: asyncpg.Pool, settings: Settings, topic: str) -> None:
    sends = [
        envelope("before", 1, 1, Named(n=1, name="fine")),
        envelope("nul", 1, 2, Named(n=1, name="a\x00b")),  # invalid byte sequence for encoding "UTF8": 0x00
        envelope("nul", 2, 3, Named(n=2, name="mended")),
        envelope("big", 1, 4, Named(n=2**31, name="x")),  # past int4: refused by asyncpg before it is sent
        envelope("after", 1, 5, Named(n=1, name="fine too")),
    ]
    await publish(settings, topic, sends)  # one partition: every event is in the same batch
    schema = f"refusal_{uuid.uuid4().hex[:8]}"
    runner = ProjectionRunner(kernel_pool, event_consumer(settings, "gb-test-refusal"), PROJECTION, [topic],
                              schema=schema)
    await runner.start()
    try:
        await project_live(runner, len(sends))
        q = f'"{schema}"'
        names = await kernel_pool.fetch(f"SELECT stream, n, name FROM {q}.names ORDER BY stream, n")
        assert [tuple(r) for r in names] == [("after", 1, "fine too"), ("before", 1, "fine"), ("nul", 2, "mended")]
        counts = dict(await kernel_pool.fetch(f"SELECT stream, events FROM {q}.counts"))  # type: ignore[arg-type]
        assert counts == {"after": 1, "before": 1, "nul": 1}  # the refused events' first statements undone
        letters = await kernel_pool.fetch(f'SELECT "offset", reason, key, value FROM {q}.dead_letters ORDER BY 1')
        assert [(r["offset"], r["key"], r["value"]) for r in letters] == [
            (1, b"nul", sends[1].data), (3, b"big", sends[3].data)]
        assert "CharacterNotInRepertoireError" in letters[0]["reason"] and "nul v1 (position 2)" in letters[0]["reason"]
        assert "DataError" in letters[1]["reason"] and "int32" in letters[1]["reason"]
        # Passed, as an event that fits no schema is: its stream goes on, and a read waiting for it is answered.
        versions = dict(await kernel_pool.fetch(  # type: ignore[arg-type]
            f"SELECT stream_id, version FROM {q}.projected_streams"))
        assert versions == {"before": 1, "nul": 2, "big": 1, "after": 1}
        assert await kernel_pool.fetchval(f"SELECT array_agg(position ORDER BY position) FROM {q}.applied_events") \
            == [1, 2, 3, 4, 5]
        assert await kernel_pool.fetchval(f"SELECT next_offset FROM {q}.projection_checkpoints") == len(sends)
        assert (runner.dead_lettered, runner.applied) == (2, 5)
    finally:
        await runner.stop()
        await kernel_pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
