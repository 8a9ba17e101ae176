"""Append throughput on one PostgreSQL server: our kernel EventStore, raw asyncpg, `eventsourcing`.

All three write one event of ~150 bytes of JSON per append, for a fixed time, and count committed
events (checked against the table afterwards). Each timed run starts on an empty table after a
CHECKPOINT, like the reference scripts in /work/shared/bench.
"""

from __future__ import annotations

import asyncio
import json
import resource
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import asyncpg

from bench.common import checkpoint, per_event, say, wal_bytes
from services.kernel.events import EventRegistry
from services.kernel.store import CommandMeta, EventStore, Stream

NOTE = "payload of roughly one hundred and fifty bytes ......"


def _cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


# --------------------------------------------------------------------------- our kernel EventStore


@dataclass(frozen=True, kw_only=True)
class MoneyDeposited:
    """The reference payload (asyncpg_bench.py) as an event: ~140 bytes of JSON."""

    account_id: int
    owner: str
    currency: str
    amount: int
    note: str


REGISTRY: EventRegistry[MoneyDeposited] = EventRegistry(
    source="/golden-bridge/bench", events={"gb.bench.money_deposited.v1": MoneyDeposited}
)


def _event(n: int) -> MoneyDeposited:
    return MoneyDeposited(account_id=12345, owner="benchmark-owner-name", currency="EUR", amount=n, note=NOTE)


async def _kernel_writer(store: EventStore[MoneyDeposited], deadline: float) -> int:
    n = 0
    while time.perf_counter() < deadline:
        # A new stream each time (version 0 → 1), one event, no idempotency key.
        meta = CommandMeta(actor="bench", occurred_at=datetime.now(UTC), correlation_id=str(uuid.uuid4()))
        await store.append(Stream(stream_id=str(uuid.uuid4())), "account", [_event(n)], meta)
        n += 1
    return n


class KernelBench:
    """One EventStore on a scratch database; ``run(writers, seconds)`` may be called repeatedly."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.pool: asyncpg.Pool | None = None
        self.store: EventStore[MoneyDeposited] | None = None
        self.batches = 0
        self.batched_commands = 0
        # Where a group-commit transaction's time goes: inside the write (PostgreSQL: gb_append_batch, the commit's
        # WAL flush, the round trip), and the time with no write in PostgreSQL (this process answering the writers
        # and taking their next appends, with nothing to overlap it). The store writes up to two batches at once.
        self.writing = 0.0
        self.between = 0.0
        self.in_flight = 0
        self.most_in_flight = 0
        self._idle_since: float | None = None

    async def __aenter__(self) -> KernelBench:
        self.pool = await asyncpg.create_pool(self.dsn, min_size=2, max_size=4)
        self.store = EventStore(self.pool, REGISTRY)
        await self.store.start()
        # Count group-commit transactions (read-only instrumentation of the writer task).
        write_batch = self.store._write_batch

        async def counted(conn: Any, batch: list[Any]) -> list[Any]:
            self.batches += 1
            self.batched_commands += len(batch)
            started = time.perf_counter()
            if self.in_flight == 0 and self._idle_since is not None:
                self.between += started - self._idle_since
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                return await write_batch(conn, batch)
            finally:
                ended = time.perf_counter()
                self.in_flight -= 1
                if self.in_flight == 0:
                    self._idle_since = ended
                self.writing += ended - started

        self.store._write_batch = counted  # type: ignore[method-assign]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.store:
            await self.store.stop()
        if self.pool:
            await self.pool.close()

    async def run(self, writers: int, seconds: float) -> dict[str, Any]:
        assert self.pool and self.store
        await self.pool.execute("TRUNCATE events, outbox, idempotency_keys RESTART IDENTITY")
        async with self.pool.acquire() as conn:
            await checkpoint(conn)
        self.batches = self.batched_commands = 0
        self.writing = self.between = 0.0
        self.most_in_flight = 0
        self._idle_since = None
        async with self.pool.acquire() as conn:
            wal0 = await wal_bytes(conn)
        cpu0 = _cpu_seconds()
        t0 = time.perf_counter()
        counts = await asyncio.gather(*(_kernel_writer(self.store, t0 + seconds) for _ in range(writers)))
        elapsed = time.perf_counter() - t0
        cpu = _cpu_seconds() - cpu0
        async with self.pool.acquire() as conn:
            wal1 = await wal_bytes(conn)
        total = sum(counts)
        rows = await self.pool.fetchval("SELECT count(*) FROM events")
        outbox = await self.pool.fetchval("SELECT count(*) FROM outbox")
        if rows != total or outbox != total:
            raise AssertionError(f"kernel: {total} appends acknowledged but {rows} events, {outbox} outbox rows")
        avg_bytes = await self.pool.fetchval("SELECT avg(octet_length(data::text))::int FROM events")
        result = {
            "writers": writers, "events": total, "seconds": round(elapsed, 3), "events_per_s": total / elapsed,
            "transactions": self.batches, "events_per_transaction": round(total / max(1, self.batches), 2),
            "client_cpu_s": round(cpu, 2), "payload_bytes": avg_bytes,
            "ms_every_transaction": round(1000 * elapsed / max(1, self.batches), 2),
            "ms_writing_per_transaction": round(1000 * self.writing / max(1, self.batches), 2),
            "ms_between_transactions": round(1000 * self.between / max(1, self.batches - 1), 2),
            "most_in_flight": self.most_in_flight,
            "wal_bytes_per_event": per_event(wal0, wal1, total),
        }
        say(f"kernel EventStore.append, {writers} writer(s): {result['events_per_s']:,.0f} events/s "
            f"({result['events_per_transaction']} events per transaction)")
        return result


# --------------------------------------------------------------------------- raw asyncpg (the ceiling)

RAW_SCHEMA = """
SET client_min_messages = warning;
DROP TABLE IF EXISTS raw_events;
CREATE TABLE raw_events (
    stream_id uuid  NOT NULL,
    version   int   NOT NULL,
    type      text  NOT NULL,
    data      jsonb NOT NULL,
    UNIQUE (stream_id, version)
);
"""
RAW_INSERT = "INSERT INTO raw_events (stream_id, version, type, data) VALUES ($1, $2, $3, $4)"


def _raw_payload(n: int) -> str:
    return json.dumps({"account_id": 12345, "owner": "benchmark-owner-name", "currency": "EUR",
                       "amount": n, "note": NOTE})


async def _raw_worker(conn: asyncpg.Connection, deadline: float) -> int:
    # As asyncpg_bench.py --mode single: 100 streams per worker round-robin, autocommit INSERT each.
    streams = [uuid.uuid4() for _ in range(100)]
    versions = [0] * 100
    n = 0
    while time.perf_counter() < deadline:
        k = n % 100
        versions[k] += 1
        await conn.execute(RAW_INSERT, streams[k], versions[k], "MoneyDeposited", _raw_payload(n))
        n += 1
    return n


async def raw_asyncpg(dsn: str, conns: int, seconds: float) -> dict[str, Any]:
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(RAW_SCHEMA)
        await checkpoint(admin)
        workers = [await asyncpg.connect(dsn) for _ in range(conns)]
        try:
            cpu0 = _cpu_seconds()
            t0 = time.perf_counter()
            counts = await asyncio.gather(*(_raw_worker(c, t0 + seconds) for c in workers))
            elapsed = time.perf_counter() - t0
            cpu = _cpu_seconds() - cpu0
        finally:
            for c in workers:
                await c.close()
        total = sum(counts)
        rows = await admin.fetchval("SELECT count(*) FROM raw_events")
        if rows != total:
            raise AssertionError(f"asyncpg: {total} inserts acknowledged but {rows} rows")
        await admin.execute("DROP TABLE raw_events")
    finally:
        await admin.close()
    result = {"connections": conns, "events": total, "seconds": round(elapsed, 3), "events_per_s": total / elapsed,
              "client_cpu_s": round(cpu, 2)}
    say(f"asyncpg autocommit INSERT, {conns} connection(s): {result['events_per_s']:,.0f} events/s")
    return result


RAW_BATCH_INSERT = ("INSERT INTO raw_events (stream_id, version, type, data)"
                    " SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::jsonb[])")


async def raw_asyncpg_batched(dsn: str, batch: int, seconds: float) -> dict[str, Any]:
    """The ceiling for the store's group commit: ONE connection writing transactions of ``batch`` rows back to
    back (one multi-row INSERT each, a new stream per row) — what the store's writer does, without the store."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(RAW_SCHEMA)
        await checkpoint(conn)
        wal0 = await wal_bytes(conn)
        cpu0 = _cpu_seconds()
        t0 = time.perf_counter()
        deadline, n = t0 + seconds, 0
        while time.perf_counter() < deadline:
            await conn.execute(RAW_BATCH_INSERT, [uuid.uuid4() for _ in range(batch)], [1] * batch,
                               ["MoneyDeposited"] * batch, [_raw_payload(n + i) for i in range(batch)])
            n += batch
        elapsed = time.perf_counter() - t0
        cpu = _cpu_seconds() - cpu0
        wal1 = await wal_bytes(conn)
        rows = await conn.fetchval("SELECT count(*) FROM raw_events")
        if rows != n:
            raise AssertionError(f"asyncpg batched: {n} rows acknowledged but {rows} in the table")
        await conn.execute("DROP TABLE raw_events")
    finally:
        await conn.close()
    result = {"connections": 1, "batch": batch, "events": n, "seconds": round(elapsed, 3), "events_per_s": n / elapsed,
              "client_cpu_s": round(cpu, 2),
              "ms_per_transaction": round(1000 * elapsed / max(1, n // batch), 2),
              "wal_bytes_per_event": per_event(wal0, wal1, n)}
    say(f"asyncpg batched INSERT, {batch} rows a transaction: {result['events_per_s']:,.0f} events/s")
    return result


# --------------------------------------------------------------------------- the `eventsourcing` library


def eventsourcing_available() -> str | None:
    """None when the library and psycopg can be used, else why not."""
    try:
        import eventsourcing.postgres  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as exc:
        return f"{exc} (pip install -r bench/requirements.txt)"
    return None


def eventsourcing_create(admin_dsn: str, database: str, threads: int, seconds: float) -> dict[str, Any]:
    """As es_bench.py ``create --threads N``: new aggregates, one app.save(agg) each (one event)."""
    import psycopg
    from eventsourcing.application import Application

    from bench.es_model import Account

    parts = urlsplit(admin_dsn)
    host, port = parts.hostname or "127.0.0.1", str(parts.port or 5432)
    user = unquote(parts.username or "postgres")
    # The library insists on a password; the project's cluster asks for it over TCP (scram-sha-256), and the
    # admin DSN carries it. The fallback serves a server that trusts 127.0.0.1.
    password = unquote(parts.password or "bench")
    conninfo = f"host={host} port={port} dbname={database} user={user} password={password}"
    prefix = f"esb_create_{threads}"
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute("SET client_min_messages = warning")
        c.execute(f"DROP TABLE IF EXISTS {prefix}_events CASCADE")
        c.execute("CHECKPOINT")
    env = {
        "CREATE_TABLE": "y", "PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": database,
        "POSTGRES_HOST": host, "POSTGRES_PORT": port, "POSTGRES_USER": user, "POSTGRES_PASSWORD": password,
        "POSTGRES_POOL_SIZE": str(threads),
    }
    app_class = type(prefix, (Application,), {"name": prefix})
    app = app_class(env=env)

    def count() -> int:
        with psycopg.connect(conninfo) as c:
            row = c.execute(f"SELECT count(*) FROM {prefix}_events").fetchone()
            return int(row[0]) if row else 0

    counts = [0] * threads
    barrier = threading.Barrier(threads + 1)
    start = [0.0]

    def loop(idx: int) -> None:
        barrier.wait()
        deadline = start[0] + seconds
        n = 0
        i = idx
        while time.perf_counter() < deadline:
            app.save(Account(account_id=i, owner="benchmark-owner-name", currency="EUR", amount=100, note=NOTE))
            n += 1
            i += threads
        counts[idx] = n

    try:
        before = count()
        workers = [threading.Thread(target=loop, args=(k,)) for k in range(threads)]
        for w in workers:
            w.start()
        cpu0 = _cpu_seconds()
        start[0] = time.perf_counter()
        barrier.wait()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - start[0]
        cpu = _cpu_seconds() - cpu0
        total = sum(counts)
        after = count()
        if after - before != total:
            raise AssertionError(f"eventsourcing: {total} saves but {after - before} new rows")
    finally:
        app.close()
    result = {"threads": threads, "events": total, "seconds": round(elapsed, 3), "events_per_s": total / elapsed,
              "client_cpu_s": round(cpu, 2), "psycopg_impl": psycopg.pq.__impl__}
    say(f"eventsourcing create aggregate, {threads} thread(s): {result['events_per_s']:,.0f} events/s")
    return result
