"""The as-of erasure check at a province's size: ``lacks_an_erasure`` (services/gateway/as_of_queue.py) timed over
1,000,000 members and 500,000 development cases, 100 of each erased, in the live views and in a kept copy.

With PostgreSQL up (``python -m infra.local infra-up``, the ``GB_*`` settings of that data folder):
``python -m bench.erasure_check``. It makes and drops the database ``gb_bench_erasure_check``; docs/as-of.md has
the figures it gave."""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import date

import asyncpg

from services.gateway.as_of_queue import lacks_an_erasure
from services.gateway.readmodels import development, members
from services.kernel.settings import load_settings

MEMBERS = 1_000_000
CASES = 500_000
ERASED = 100
DATABASE = "gb_bench_erasure_check"


async def _fill(conn: asyncpg.Connection, schema: str) -> None:
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    await conn.execute(members.DDL.format(schema=schema))
    await conn.execute(development.DDL.format(schema=schema))
    await conn.copy_records_to_table("members_view", schema_name=schema, records=(
        (f"m-{i}", "名字", "1101**********1234", f"b-{i % 5000}", "full", None, "{}", None, False, None, i, None,
         None, None) for i in range(MEMBERS)))
    day = date(2026, 1, 1)
    await conn.copy_records_to_table("development_view", schema_name=schema, records=(
        (f"p-{i}", "名字", f"b-{i % 5000}", "applicant", day, day, None, None, None, None, None, None, None, None,
         None, False, None, None, i) for i in range(CASES)))
    await conn.execute(f"UPDATE {schema}.members_view SET erased_on = '2026-11-01', name = $1"
                       " WHERE member_id IN (SELECT 'm-' || g FROM generate_series(1, $2) g)",
                       members.ERASED_NAME, ERASED)
    await conn.execute(f"UPDATE {schema}.development_view SET name = $1"
                       " WHERE person_id IN (SELECT 'p-' || g FROM generate_series(1, $2) g)",
                       members.ERASED_NAME, ERASED)


async def main() -> None:
    settings = load_settings()
    admin = await asyncpg.connect(settings.admin_dsn)
    await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {DATABASE}")
    try:
        conn = await asyncpg.connect(settings.admin_dsn.rsplit("/", 1)[0] + f"/{DATABASE}")
        try:
            for schema in ("public", "kept"):
                await _fill(conn, schema)
            await conn.execute("VACUUM ANALYZE")
            for _ in range(3):
                await lacks_an_erasure(conn, "kept")
            times = []
            for _ in range(30):
                started = time.perf_counter()
                lacking = await lacks_an_erasure(conn, "kept")
                times.append((time.perf_counter() - started) * 1000)
            print(f"lacks_an_erasure at {MEMBERS:,} members and {CASES:,} cases, {ERASED} of each erased: "
                  f"{lacking}; p50 {statistics.median(times):.2f} ms, max {max(times):.2f} ms over 30 calls")
        finally:
            await conn.close()
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
