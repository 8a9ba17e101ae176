"""What every query shares: the read-your-writes wait (``min_position``) and keyset pagination."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg

from services.pure.errors import Problem

MAX_WAIT_SECONDS = 5.0


class NotCaughtUp(Problem):
    status = 503
    slug = "not-caught-up"
    title = "The read model has not caught up yet"


async def wait_for_position(pool: asyncpg.Pool, source: str, position: int | None,
                            timeout: float = MAX_WAIT_SECONDS) -> None:
    """Wait until the event at ``position`` of ``source`` is in the read models.

    Events of one record are applied in order, so once a command's last event is visible every
    change that command made to that record is too.
    """
    if not position:
        return
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        if await pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM applied_events WHERE source = $1 AND position = $2)", source, position
        ):
            return
        if time.monotonic() >= deadline:
            raise NotCaughtUp(
                f"position {position} is not in the read models after {timeout:.0f} s; retry in a moment",
                retry_after_seconds=1,
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.005)


def page(rows: list[asyncpg.Record], limit: int, key: str) -> tuple[list[dict[str, Any]], str | None]:
    items = [dict(r) for r in rows[:limit]]
    next_cursor = str(items[-1][key]) if len(rows) > limit and items else None
    return items, next_cursor


async def ping(pool: asyncpg.Pool) -> None:
    """Raise unless the read-model database answers (the readiness probe)."""
    await pool.fetchval("SELECT 1")
