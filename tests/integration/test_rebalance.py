"""Projector instances that share partitions through a consumer group (services/kernel/kafka.py CheckpointSeeker,
services/kernel/projection.py shared=True), on the real Kafka and PostgreSQL of ``./gb test``.

* Each assignment seeks every partition to the checkpoint stored in PostgreSQL at that moment, not to Kafka's
  committed offsets (there are none) nor to the beginning.
* A batch another instance applied meanwhile (its partition was revoked mid-batch and given away) is not applied
  a second time: the checkpoint, locked in the batch's transaction, has moved past it.
* Two instances that join and leave while events arrive apply every event exactly once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from services.kernel.events import Envelope, EventRegistry, encode
from services.kernel.kafka import CheckpointSeeker, event_consumer, event_producer
from services.kernel.projection import Op, Projection, install
from services.kernel.projection_runner import ProjectionRunner
from services.kernel.settings import Settings
from tests.e2e.conftest import eventually
from tests.integration.topics import scratch_topic

SOURCE = "/golden-bridge/rebalance-test"
NOTED = "gb.rebalancetest.noted.v1"
PARTITIONS = 4
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Noted:
    n: int


REGISTRY: EventRegistry[Noted] = EventRegistry(source=SOURCE, events={NOTED: Noted})
#: Every application of an event adds one to its row: an event applied twice shows as 2.
DDL = "CREATE TABLE IF NOT EXISTS {schema}.applications (event_id uuid PRIMARY KEY, times int NOT NULL);"


def _count(q: str, env: Envelope, event: Any) -> list[Op]:
    return [(f"INSERT INTO {q}.applications VALUES ($1, 1)"
             " ON CONFLICT (event_id) DO UPDATE SET times = applications.times + 1", (env.id,))]


PROJECTION = Projection(name="rebalance-test", ddl=DDL, registries=[REGISTRY], apply=_count)


def envelope(stream: str, version: int, position: int) -> Envelope:
    return Envelope(id=uuid.uuid4(), source=SOURCE, type=NOTED, time=datetime.now(UTC), subject=stream,
                    stream_id=stream, stream_type="note", stream_version=version, actor="test", correlation_id="c",
                    causation_id=None, data=encode(Noted(n=version)), prev_hash=None, hash=b"\x00" * 32,
                    position=position)


async def until(check: Callable[[], Awaitable[T]], what: str, timeout: float = 60.0) -> T:
    return await eventually(check, timeout=timeout, what=what)


@pytest.fixture
async def topic(settings: Settings) -> AsyncIterator[str]:
    async with scratch_topic(settings, "rebalance", PARTITIONS) as name:
        yield name


async def publish(settings: Settings, topic: str, streams: list[str], versions: range, start: int = 0) -> int:
    """One event per stream and version, keyed by stream (so a stream stays on one partition); returns count."""
    producer = event_producer(settings, "gb-test-rebalance")
    await producer.start()
    sent = 0
    try:
        for version in versions:
            for stream in streams:
                env = envelope(stream, version, start + sent)
                await producer.send_and_wait(topic, env.data, key=stream.encode(), headers=env.kafka_headers())
                sent += 1
    finally:
        await producer.stop()
    return sent


class Recording(CheckpointSeeker):
    """The seeker, noting each partition's position right after each assignment (before anything is read)."""

    def __init__(self, consumer: AIOKafkaConsumer, load: Callable[[], Awaitable[dict[tuple[str, int], int]]]) -> None:
        super().__init__(consumer, load, asyncio.Lock())
        self.seen: list[dict[int, int]] = []

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await super().on_partitions_assigned(assigned)
        self.seen.append({tp.partition: await self.consumer.position(tp) for tp in assigned})


async def test_every_assignment_seeks_to_the_checkpoints_stored_at_that_moment(settings: Settings, topic: str) -> None:
    await publish(settings, topic, [f"s{i}" for i in range(16)], range(1, 6))
    stored: dict[tuple[str, int], int] = {(topic, 0): 3, (topic, 1): 5}  # partitions 2 and 3: none stored

    async def load() -> dict[tuple[str, int], int]:
        return dict(stored)

    group = f"gb-test-rebalance-{uuid.uuid4().hex[:8]}"
    consumers: list[AIOKafkaConsumer] = []
    try:
        first = event_consumer(settings, "gb-test-a", group_id=group)
        consumers.append(first)
        await first.start()
        first_seeker = Recording(first, load)
        first.subscribe([topic], listener=first_seeker)
        await until(lambda: _seen(first_seeker, 1), "the first instance's assignment")
        assert first_seeker.seen == [{0: 3, 1: 5, 2: 0, 3: 0}]

        # Meanwhile the first instance's work moved the checkpoints; a second instance joins.
        stored.update({(topic, 0): 7, (topic, 1): 8, (topic, 2): 2, (topic, 3): 4})
        second = event_consumer(settings, "gb-test-b", group_id=group)
        consumers.append(second)
        await second.start()
        second_seeker = Recording(second, load)
        second.subscribe([topic], listener=second_seeker)
        await until(lambda: _split(first, second, first_seeker, second_seeker),
                    "the partitions shared by the two instances")
        now = {partition: offset for (_, partition), offset in stored.items()}
        for seeker in (first_seeker, second_seeker):
            latest = seeker.seen[-1]
            assert latest and latest == {p: now[p] for p in latest}, seeker.seen
        assert set(first_seeker.seen[-1]) | set(second_seeker.seen[-1]) == set(range(PARTITIONS))
    finally:
        for consumer in consumers:
            await consumer.stop()


async def _seen(seeker: Recording, n: int) -> bool:
    return len(seeker.seen) >= n


async def _split(a: AIOKafkaConsumer, b: AIOKafkaConsumer, a_seeker: Recording, b_seeker: Recording) -> bool:
    """Both assigned since the second joined, and the partitions split between them."""
    mine, theirs = a.assignment(), b.assignment()
    return (len(a_seeker.seen) >= 2 and len(b_seeker.seen) >= 1 and bool(mine) and bool(theirs)
            and not mine & theirs and len(mine | theirs) == PARTITIONS)


async def test_a_batch_applied_by_another_instance_meanwhile_is_not_applied_again(
        kernel_pool: asyncpg.Pool, settings: Settings) -> None:
    """Two instances hold the same batch of a partition never applied before — one lost it mid-batch: the
    batch's events are new streams, so only the checkpoint's row lock stands between them."""
    schema = f"rebalance_{uuid.uuid4().hex[:8]}"
    topic = "gb.test.mid-batch"
    records = [_record(topic, offset, envelope(f"new-{uuid.uuid4().hex[:6]}", 1, offset)) for offset in range(10)]
    tp = TopicPartition(topic, 0)
    runners = [ProjectionRunner(kernel_pool, event_consumer(settings, f"gb-test-{n}"), PROJECTION, [topic],
                                schema=schema, shared=True) for n in range(2)]
    async with kernel_pool.acquire() as conn:
        await install(conn, PROJECTION, schema)
    try:
        await asyncio.gather(*(runner._apply_batch(tp, records) for runner in runners))
        q = f'"{schema}"'
        assert await kernel_pool.fetchval(f"SELECT count(*) FROM {q}.applications") == 10
        assert await kernel_pool.fetchval(f"SELECT max(times) FROM {q}.applications") == 1
        assert sum(r.stale_batches for r in runners) == 1
        # The stale one, handed an overlapping batch, reads on from the checkpoint instead of applying it.
        later = [*records[5:], *(_record(topic, o, envelope(f"new-{o}", 1, o)) for o in range(10, 12))]
        assert await runners[0]._apply_batch(tp, later) == 10
        assert await kernel_pool.fetchval(
            f"SELECT next_offset FROM {q}.projection_checkpoints WHERE topic = $1", topic) == 10
        assert await kernel_pool.fetchval(f"SELECT count(*) FROM {q}.applications") == 10
    finally:
        await kernel_pool.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _record(topic: str, offset: int, env: Envelope, partition: int = 0) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic=topic, partition=partition, offset=offset, timestamp=0, timestamp_type=0,
                          key=env.stream_id.encode(), value=env.data, checksum=None, serialized_key_size=0,
                          serialized_value_size=len(env.data), headers=tuple(env.kafka_headers()))


async def test_instances_joining_and_leaving_apply_every_event_exactly_once(
        kernel_pool: asyncpg.Pool, settings: Settings, topic: str) -> None:
    schema = f"rebalance_{uuid.uuid4().hex[:8]}"
    q = f'"{schema}"'
    group = f"gb-test-rebalance-{uuid.uuid4().hex[:8]}"
    streams = [f"s-{uuid.uuid4().hex[:6]}" for _ in range(24)]
    stops = [asyncio.Event() for _ in range(2)]
    runners = [ProjectionRunner(kernel_pool, event_consumer(settings, f"gb-test-{n}", group_id=group), PROJECTION,
                                [topic], schema=schema, shared=True) for n in range(2)]

    async def run(n: int) -> None:
        await runners[n].start()
        try:
            while not stops[n].is_set():
                await runners[n].poll_once(timeout_ms=50, batch=20)  # small batches: rebalances fall mid-way
        finally:
            await runners[n].stop()

    async def applied() -> int:
        return int(await kernel_pool.fetchval(f"SELECT count(*) FROM {q}.applications"))

    tasks = [asyncio.create_task(run(0))]
    try:
        sent = await publish(settings, topic, streams, range(1, 6))
        await until(lambda: _at_least(applied, 40), "the first instance applying events")
        tasks.append(asyncio.create_task(run(1)))  # joins: the partitions are shared out again
        sent += await publish(settings, topic, streams, range(6, 11), start=sent)
        await until(lambda: _owned_by_both(runners), "both instances owning partitions")
        stops[0].set()  # leaves: its partitions go to the second instance
        await tasks[0]
        sent += await publish(settings, topic, streams, range(11, 16), start=sent)
        await until(lambda: _at_least(applied, sent), f"all {sent} events applied", timeout=90)
        assert await kernel_pool.fetchval(f"SELECT max(times) FROM {q}.applications") == 1
        assert await kernel_pool.fetchval(f"SELECT sum(next_offset) FROM {q}.projection_checkpoints") == sent
        versions = await kernel_pool.fetch(f"SELECT version FROM {q}.projected_streams")
        assert sorted(r["version"] for r in versions) == [15] * len(streams)
    finally:
        for stop in stops:
            stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await kernel_pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def _at_least(count: Callable[[], Awaitable[int]], n: int) -> bool:
    return await count() >= n


async def _owned_by_both(runners: list[ProjectionRunner]) -> bool:
    return all(runner.consumer.assignment() for runner in runners)


async def test_a_polls_partitions_in_one_transaction_apply_the_new_and_leave_the_stale(
        kernel_pool: asyncpg.Pool, settings: Settings) -> None:
    """A poll's small batches of several partitions share one transaction (issue 14: the round trips of one per
    partition were most of the live projector's cost): the checkpoint of each is still its own — a partition whose
    checkpoint passed its batch is left out and read on from there, a partition applied whole is passed, a partition
    never applied gets its checkpoint, and the others are applied once."""
    schema = f"rebalance_{uuid.uuid4().hex[:8]}"
    topic = "gb.test.one-transaction"
    parts = [TopicPartition(topic, n) for n in range(3)]

    def batch(tp: TopicPartition, offsets: range) -> list[ConsumerRecord[bytes, bytes]]:
        return [_record(topic, o, envelope(f"p{tp.partition}-{o}", 1, 1000 * tp.partition + o), tp.partition)
                for o in offsets]

    runner = ProjectionRunner(kernel_pool, event_consumer(settings, "gb-test-group"), PROJECTION, [topic],
                              schema=schema, shared=True)
    async with kernel_pool.acquire() as conn:
        await install(conn, PROJECTION, schema)
    q = f'"{schema}"'
    try:
        first = {parts[0]: batch(parts[0], range(5)), parts[1]: batch(parts[1], range(3))}
        assert await runner._apply_group(first) == {parts[0]: None, parts[1]: None}
        # Partition 0 overlaps its checkpoint (5), partition 1 was applied whole, partition 2 is new.
        again = {parts[0]: batch(parts[0], range(3, 8)), parts[1]: first[parts[1]],
                 parts[2]: batch(parts[2], range(4))}
        assert await runner._apply_group(again) == {parts[0]: 5, parts[1]: None, parts[2]: None}
        assert runner.stale_batches == 2
        assert dict(await kernel_pool.fetch(f"SELECT partition, next_offset FROM {q}.projection_checkpoints"
                                            " WHERE topic = $1", topic)) == {0: 5, 1: 3, 2: 4}
        assert await kernel_pool.fetchval(f"SELECT count(*) FROM {q}.applications") == 5 + 3 + 4
        assert await kernel_pool.fetchval(f"SELECT max(times) FROM {q}.applications") == 1
    finally:
        await kernel_pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
