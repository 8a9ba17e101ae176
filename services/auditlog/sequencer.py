"""The sequencer: takes every event of every other service from Kafka into the log, and signs tree heads.

It runs inside the audit log's process (``extras`` of its service app). One sequencer is active at a
time — it holds a PostgreSQL session advisory lock, as the relays do — so log indexes have no gaps.
It reads the event topics with no consumer group, from the partition offsets it stored with the
entries (one transaction: a crash keeps both or neither), so every event is logged exactly once in
effect: a duplicate delivery is recognised by its event id and skipped.

The order the log assigns is the order this consumer takes records: per stream it is the store's
order (a stream lives on one partition); across streams and services it is the log's own.

Tree heads are signed every ``HEAD_INTERVAL`` seconds while the log grows, and whenever someone asks
(``POST /v1/audit/tree-heads``). Each is an event of the audit log's store, so the outbox relay
publishes it on ``gb.auditlog.events`` — the audit topic partners and monitors may follow.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import asyncpg
from aiokafka import TopicPartition

from services.auditlog import keys
from services.auditlog.contract import NAME
from services.auditlog.contract.entry import entry_hash
from services.auditlog.log import Entry, TransparencyLog
from services.kernel.events import Envelope
from services.kernel.kafka import UNHURRIED, assign_from_checkpoints, event_consumer
from services.kernel.settings import Settings
from services.kernel.store import CommandMeta, EventStore
from services.kernel.topics import event_topic
from services.pure.errors import Unavailable

log = logging.getLogger("auditlog")

#: Seconds between tree heads while entries arrive ("at least every few seconds").
HEAD_INTERVAL = 2.0
BATCH = 5000
SIGNER = "auditlog:signer"

_running: TransparencyLog | None = None


def running() -> TransparencyLog:
    """The log this process sequences; 503 while it starts or when another process holds it."""
    if _running is None:
        raise Unavailable("the audit log is loading or another audit-log process holds it; retry shortly")
    return _running


async def install(pool: asyncpg.Pool) -> None:
    sql = resources.files("services.auditlog").joinpath("schema.sql").read_text()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('gb_auditlog_schema'))")
        await conn.execute(sql)


def logged_topics(own_topic: str) -> list[str]:
    """Every event topic but the log's own (its tree heads are not entries of the tree they sign)."""
    from services import system  # the composition names the services; the log is handed none

    return [t for t in system.topics() if t != own_topic]


@asynccontextmanager
async def sequencer(store: EventStore[Any], settings: Settings) -> AsyncIterator[None]:
    key = keys.load_or_create(keys.key_path(settings))
    tlog = TransparencyLog(store.pool, key)
    task = asyncio.create_task(_keep_running(tlog, store, settings), name="auditlog-sequencer")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def _keep_running(tlog: TransparencyLog, store: EventStore[Any], settings: Settings) -> None:
    global _running
    while True:
        try:
            await _sequence(tlog, store, settings)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the sequencer failed; reloading the log and starting again in 1 s")
        _running = None
        await asyncio.sleep(1.0)


def _meta() -> CommandMeta:
    return CommandMeta(actor=SIGNER, occurred_at=datetime.now(UTC), correlation_id=str(uuid.uuid4()))


async def _sign_while_growing(tlog: TransparencyLog, store: EventStore[Any]) -> None:
    signed = await tlog.last_signed_size(store)
    while True:
        await asyncio.sleep(HEAD_INTERVAL)
        if tlog.size != signed:
            size = tlog.size
            await tlog.sign(store, _meta(), reason="interval")
            signed = size


async def _sequence(tlog: TransparencyLog, store: EventStore[Any], settings: Settings) -> None:
    global _running
    await install(store.pool)
    lock = await asyncpg.connect(settings.dsn(NAME))
    consumer = event_consumer(settings, "gb-auditlog", **UNHURRIED)
    signer: asyncio.Task[None] | None = None
    try:
        while not await lock.fetchval("SELECT pg_try_advisory_lock(hashtext('gb_auditlog_sequencer'))"):
            log.info("another audit-log process holds the log; standing by")
            await asyncio.sleep(1.0)
        await tlog.load()
        _running = tlog
        log.info("audit log %s loaded: %d entries", tlog.log_id.hex(), tlog.size)
        await consumer.start()
        stored = {(r["topic"], r["partition"]): r["next_offset"]
                  for r in await store.pool.fetch("SELECT * FROM log_checkpoints")}
        await assign_from_checkpoints(consumer, logged_topics(event_topic(NAME)), stored)
        signer = asyncio.create_task(_sign_while_growing(tlog, store), name="auditlog-signer")
        async with store.pool.acquire() as conn:
            while True:
                if signer.done():
                    signer.result()  # a failed signer fails the sequencer: both start again
                fetched = await consumer.getmany(timeout_ms=500, max_records=BATCH)
                if not fetched:
                    continue
                entries: list[Entry] = []
                checkpoints: dict[tuple[str, int], int] = {}
                for tp, records in fetched.items():
                    for record in records:
                        entry = _entry(tp, record)
                        if entry is not None:
                            entries.append(entry)
                    checkpoints[(tp.topic, tp.partition)] = records[-1].offset + 1
                result = await tlog.append(conn, entries, checkpoints)
                if result.conflicts:
                    log.error("%d records on Kafka contradict events already logged: kept in log_conflicts, "
                              "not logged", result.conflicts)
    finally:
        _running = None
        if signer is not None:
            signer.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await signer
        with suppress(Exception):
            await consumer.stop()
        await lock.close()


def _entry(tp: TopicPartition, record: Any) -> Entry | None:
    try:
        envelope = Envelope.from_kafka(list(record.headers), record.value or b"")
        if envelope.position is None or envelope.recorded_at is None:
            raise ValueError("no position or recorded time")
        leaf = entry_hash(envelope.cloudevent())
    except Exception as exc:  # not one of our events: nothing to commit to; say so, never stall
        log.warning("%s[%d]@%d is not an event of a store (%s); not logged", tp.topic, tp.partition, record.offset,
                    exc)
        return None
    return Entry(source=envelope.source, event_id=envelope.id, stream_id=envelope.stream_id,
                 stream_version=envelope.stream_version, position=envelope.position,
                 recorded_at=envelope.recorded_at, leaf_hash=leaf, topic=tp.topic, partition=tp.partition,
                 offset=record.offset)
