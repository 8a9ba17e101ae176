"""Small helpers shared by the benchmark parts: progress output, percentiles, scratch databases."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"

_started = time.monotonic()


def say(message: str) -> None:
    """Progress on stderr (stdout gets only the final table)."""
    print(f"[bench {time.monotonic() - _started:6.1f}s] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, Any]:
    """n, p50, p99, max and mean of durations given in seconds, reported in milliseconds."""
    if not seconds:
        return {"n": 0}
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(sum(ms) / len(ms), 2),
    }


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def recreate_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {_quoted(name)}")
    finally:
        await conn.close()


async def drop_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
    finally:
        await conn.close()


async def checkpoint(conn: asyncpg.Connection) -> None:
    """Start every timed run with the WAL flushed, as the reference scripts do."""
    await conn.execute("CHECKPOINT")


async def wal_bytes(conn: asyncpg.Connection) -> int | None:
    """WAL written by the whole cluster so far (pg_stat_wal, PostgreSQL 14+), or None where it cannot be read.
    A delta over a timed run says how many bytes each commit had to make durable."""
    try:
        return int(await conn.fetchval("SELECT wal_bytes FROM pg_stat_wal"))
    except asyncpg.PostgresError:
        return None


def per_event(before: int | None, after: int | None, events: int) -> int | None:
    """A counter's growth over a timed run, per event (None when either reading is missing)."""
    return None if before is None or after is None else round((after - before) / max(1, events))
