"""The ceilings of a rebuild (issue 14 item 3), on the same events in the same run: a plain aiokafka consumer
reading every event topic from its beginning to its current end and decoding each record (orjson of the value,
the CloudEvents headers), and PostgreSQL's COPY of one row per event (its type, key, offset and JSON body) into a
fresh table of the read-model database — what the fastest projector could neither read nor write faster than."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import orjson
from aiokafka import TopicPartition

from bench import cpu
from bench.common import say
from services import system
from services.kernel.kafka import event_consumer, topic_partitions
from services.kernel.settings import Settings

COPY_TABLE = "bench_copy_baseline"


async def raw_consume_all(settings: Settings) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """Every record of the event topics, decoded; the figures and the rows a COPY would write."""
    consumer = event_consumer(settings, "gb-bench-rebuild-raw")
    await consumer.start()
    rows: list[tuple[Any, ...]] = []
    try:
        partitions = [tp for topic in system.topics() for tp in await topic_partitions(consumer, topic)]
        begin = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
        wanted = {tp: end[tp] for tp in partitions if end[tp] > begin[tp]}
        consumer.assign(list(wanted))
        await consumer.seek_to_beginning(*wanted)
        remaining: set[TopicPartition] = set(wanted)
        cpu_before = cpu.snapshot(settings)
        t0 = time.perf_counter()
        while remaining:
            if time.perf_counter() - t0 > 600:
                raise TimeoutError(f"raw consume: {len(rows):,} records after 600 s")
            for tp, batch in (await consumer.getmany(*remaining, timeout_ms=1000)).items():
                for record in batch:
                    if record.offset >= wanted[tp]:
                        break
                    value = record.value or b""
                    orjson.loads(value)
                    headers = {key: raw.decode() for key, raw in record.headers}
                    rows.append((headers.get("ce_type", "?"), (record.key or b"").decode(), tp.topic, tp.partition,
                                 record.offset, value.decode()))
                if batch and batch[-1].offset >= wanted[tp] - 1:
                    remaining.discard(tp)
        elapsed = time.perf_counter() - t0
        cpu_seconds = cpu.spent(cpu_before, cpu.snapshot(settings))
    finally:
        await consumer.stop()
    result = {"events": len(rows), "seconds": round(elapsed, 3), "events_per_s": len(rows) / elapsed,
              "partitions": len(wanted), "cpu_seconds": cpu_seconds}
    say(f"rebuild ceiling: raw aiokafka consume + decode {result['events_per_s']:,.0f} events/s "
        f"({len(rows):,} in {elapsed:.2f} s)")
    return result, rows


async def copy_rows(settings: Settings, rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """COPY the rows into a fresh logged table (the read models are logged tables too), then drop it."""
    conn = await asyncpg.connect(settings.dsn(system.READ_MODEL_DATABASE))
    try:
        await conn.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")
        await conn.execute(f"CREATE TABLE {COPY_TABLE} (type text, key text, topic text, partition int,"
                           " \"offset\" bigint, data jsonb, PRIMARY KEY (topic, partition, \"offset\"))")
        cpu_before = cpu.snapshot(settings)
        t0 = time.perf_counter()
        await conn.copy_records_to_table(COPY_TABLE, records=rows)
        elapsed = time.perf_counter() - t0
        cpu_seconds = cpu.spent(cpu_before, cpu.snapshot(settings))
        await conn.execute(f"DROP TABLE {COPY_TABLE}")
    finally:
        await conn.close()
    result = {"rows": len(rows), "seconds": round(elapsed, 3), "rows_per_s": len(rows) / elapsed if elapsed else None,
              "cpu_seconds": cpu_seconds}
    say(f"rebuild ceiling: COPY of one row per event {result['rows_per_s'] or 0:,.0f} rows/s "
        f"({len(rows):,} in {elapsed:.2f} s)")
    return result


async def measure(settings: Settings) -> dict[str, Any]:
    consumed, rows = await raw_consume_all(settings)
    return {"raw_consume": consumed, "copy": await copy_rows(settings, rows)}
