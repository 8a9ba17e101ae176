"""Benchmark part "dues": the monthly assessment run over 100,000 dues accounts.

Accounts are opened by appending DuesAccountOpened straight into a fresh database (the kernel store,
group commit) — that is set-up, not measured. Then services.membership.dues_run.run_month assesses one
month on every account exactly as production runs it (accounts read in chunks, decided with the pure domain,
a chunk's events appended in one transaction by services/kernel/store_batches.append_rows) and we report
accounts/s, events/s and wall time; then the same month is run again, which must assess nothing (the run appends
nothing twice).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from bench import cpu
from services.kernel.settings import Settings
from services.kernel.store import CommandMeta, EventStore, Stream
from services.membership import directory
from services.membership.contract.events import REGISTRY
from services.membership.contract.events.common import DuesCategory
from services.membership.contract.events.dues import DuesAccountOpened
from services.membership.dues_run import CHUNK, run_month

DATABASE = "bench_dues"
#: The ceiling's batches: rows per transaction, and connections appending at once.
BATCH, CONNECTIONS = 500, 16
_COLUMNS = ("event_id", "stream_id", "stream_type", "version", "type", "data", "occurred_at", "actor",
            "correlation_id", "causation_id", "prev_hash", "hash")
BASES = (Decimal("2800.00"), Decimal("4200.00"), Decimal("7600.00"), Decimal("12500.00"))


async def _fresh_database(settings: Settings) -> str:
    admin = await asyncpg.connect(settings.admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "gb_{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "gb_{DATABASE}"')
    finally:
        await admin.close()
    return settings.dsn(DATABASE)


async def dues_phase(settings: Settings, accounts: int, results: dict[str, Any], notes: list[str],
                     say: Any) -> None:
    dsn = await _fresh_database(settings)
    pool = await asyncpg.create_pool(dsn, min_size=4, max_size=80)
    store: EventStore[Any] = EventStore(pool, REGISTRY)
    await store.start()
    try:
        await directory.install(pool)
        say(f"dues: opening {accounts:,} accounts (set-up, not measured)…")
        meta = CommandMeta(actor="bench", occurred_at=datetime.now(UTC), correlation_id="bench-dues")
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(accounts):
            queue.put_nowait(i)
        t0 = time.perf_counter()

        async def opener() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                member = f"bench-{uuid.uuid4()}"
                event = DuesAccountOpened(
                    member_id=member, org_id=f"bench-branch-{i % 500}", category=DuesCategory.WAGE_EARNER,
                    base=BASES[i % len(BASES)], flat_amount=None, owed_from="2026-01", admitted_on=None,
                    opened_on=date(2026, 1, 5), actor="bench", policy_version="dues-2008")
                await store.append(Stream(stream_id=f"dues-{member}"), "dues", [event], meta)

        await asyncio.gather(*(opener() for _ in range(256)))
        say(f"dues: {accounts:,} accounts opened in {time.perf_counter() - t0:.1f} s")
        before = await pool.fetchval("SELECT coalesce(max(position), 0) FROM events")
        cpu_before = cpu.snapshot(settings)
        result = await run_month(store, "2026-11", date(2026, 11, 24))
        results["dues"] = {
            "accounts": result.accounts, "assessed": result.assessed, "skipped": result.skipped,
            "seconds": round(result.seconds, 1), "events_per_s": round(result.assessed / result.seconds, 1),
            # The run's process ("client") and PostgreSQL share the machine's cores: together they bound the rate.
            "cpu_seconds": cpu.spent(cpu_before, cpu.snapshot(settings)),
        }
        again = await run_month(store, "2026-11", date(2026, 11, 24))
        results["dues"]["rerun"] = {"assessed": again.assessed, "skipped": again.skipped,
                                    "seconds": round(again.seconds, 1)}
        say(f"dues: the same month again: {again.assessed:,} assessed, {again.skipped:,} skipped in "
            f"{again.seconds:.1f} s")
        ceiling = await batched_append(settings, pool, before)
        results["dues"]["batched_append"] = ceiling
        results["dues"]["vs_batched_append"] = round(results["dues"]["events_per_s"] / ceiling["events_per_s"], 3)
        say(f"dues: ceiling, the same {ceiling['events']:,} events appended by asyncpg in batches of "
            f"{BATCH} over {CONNECTIONS} connections: {ceiling['events_per_s']:,.0f} events/s")
        say(f"dues: monthly run assessed {result.assessed:,} of {result.accounts:,} accounts in {result.seconds:.1f} s "
            f"({result.assessed / result.seconds:,.0f} events/s)")
        notes.append(
            f"Dues: {accounts:,} wage-earner accounts in a fresh database gb_{DATABASE} (opened by direct appends, not "
            "measured); the monthly run (services.membership.dues_run.run_month) reads the accounts "
            f"{CHUNK:,} a query, decides AssessMonth against the 2008 scale and appends one MonthAssessed event per "
            "account, a chunk's in one transaction (copied into the events table under the store's append lock, the "
            "unique stream version as the check, store_batches.append_rows) while it decides the next and reads the "
            "one after; then runs the "
            "month again (nothing to assess). Its ceiling: "
            f"the same events appended again into a copy of the events table by plain asyncpg, {BATCH} rows a "
            f"transaction, {CONNECTIONS} connections at once.")
    finally:
        await store.stop()
        await pool.close()
        admin = await asyncpg.connect(settings.admin_dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "gb_{DATABASE}" WITH (FORCE)')
        await admin.close()


async def batched_append(settings: Settings, pool: asyncpg.Pool, after: int) -> dict[str, Any]:
    """The ceiling of issue 14 item 4: the run's own events (every one after ``after``) appended again into a copy
    of the events table by plain asyncpg — executemany, BATCH rows a transaction, CONNECTIONS at once."""
    columns = ", ".join(_COLUMNS)
    rows = [tuple(r) for r in await pool.fetch(
        f"SELECT {columns.replace('data', 'data::text')} FROM events WHERE position > $1 ORDER BY position", after)]
    await pool.execute("DROP TABLE IF EXISTS bench_batched_append")
    await pool.execute("CREATE TABLE bench_batched_append (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS"
                       " INCLUDING INDEXES)")
    insert = (f"INSERT INTO bench_batched_append ({columns}) VALUES "
              f"({', '.join(f'${i}' + ('::json' if c == 'data' else '') for i, c in enumerate(_COLUMNS, 1))})")
    chunks = [rows[i:i + BATCH] for i in range(0, len(rows), BATCH)]

    async def appender() -> None:
        async with pool.acquire() as conn:
            while chunks:
                chunk = chunks.pop()
                async with conn.transaction():
                    await conn.executemany(insert, chunk)

    cpu_before = cpu.snapshot(settings)
    t0 = time.perf_counter()
    await asyncio.gather(*(appender() for _ in range(CONNECTIONS)))
    elapsed = time.perf_counter() - t0
    cpu_seconds = cpu.spent(cpu_before, cpu.snapshot(settings))
    copied = await pool.fetchval("SELECT count(*) FROM bench_batched_append")
    await pool.execute("DROP TABLE bench_batched_append")
    return {"events": copied, "seconds": round(elapsed, 3), "events_per_s": copied / elapsed,
            "batch": BATCH, "connections": CONNECTIONS, "cpu_seconds": cpu_seconds}
