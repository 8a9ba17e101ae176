"""What the figures were measured on: hardware, kernel, PostgreSQL, library versions, git state."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg

from bench.common import ROOT

#: Server settings worth knowing when comparing figures (durability and memory).
PG_SETTINGS = ("shared_buffers", "synchronous_commit", "fsync", "full_page_writes", "wal_sync_method",
               "commit_delay", "max_connections", "max_wal_size")
PACKAGES = ("asyncpg", "aiokafka", "httpx", "uvicorn", "fastapi", "orjson", "pydantic", "eventsourcing",
            "psycopg", "psycopg-binary", "psycopg-pool")


def _cpu_model() -> str:
    models: list[str] = []
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                models.append(line.split(":", 1)[1].strip())
    except OSError:
        pass
    if not models:
        return platform.processor() or "unknown"
    return f"{models[0]} x {len(models)}" if len(set(models)) == 1 else "; ".join(models)


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
        return done.stdout.strip() if done.returncode == 0 else ""

    changed = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "--short", "HEAD") or None,
            "uncommitted_changes": bool(changed)}


async def describe(admin_dsn: str) -> dict[str, Any]:
    from infra.kafka import KAFKA_VERSION

    conn = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        server = await conn.fetchval("SELECT version()")
        short = await conn.fetchval("SHOW server_version")
        settings = {name: await conn.fetchval(f"SHOW {name}") for name in PG_SETTINGS}
    finally:
        await conn.close()
    uname = platform.uname()
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory": _memory(),
        "kernel": f"{uname.system} {uname.release} {uname.machine}",
        "postgresql": short,
        "postgresql_full": server,
        "postgresql_settings": settings,
        "python": platform.python_version(),
        "packages": {p: v for p in PACKAGES if (v := _version(p))},
        "kafka": KAFKA_VERSION,
        "git": _git(),
    }
