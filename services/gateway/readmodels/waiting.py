"""What every query shares: the read-your-writes wait (``min_position``) and keyset pagination."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

import asyncpg

from services.pure.errors import Problem

MAX_WAIT_SECONDS = 5.0
#: The read models are asked again after 1, 2, 4, 5, 5 … ms: a command's own event is usually there within tens of
#: milliseconds. A wait that lasts longer (a lagging projector, a position of another record that will never be
#: applied) is asked every ``SLOW_POLL_SECONDS`` after ``FAST_POLL_FOR_SECONDS``: without it, each such request asked
#: PostgreSQL a thousand times before its 503, and a few hundred at once made a load of their own.
FAST_POLL_SECONDS = 0.005
FAST_POLL_FOR_SECONDS = 0.25
SLOW_POLL_SECONDS = 0.05


class NotCaughtUp(Problem):
    status = 503
    slug = "not-caught-up"
    title = "The read model has not caught up yet"


class PositionNotIssued(Problem):
    status = 422
    slug = "position-not-issued"
    title = "No command returned this position"


class Awaited(Protocol):
    """A ``min_position`` and a way to ask the store that owns it whether it was ever issued."""

    @property
    def position(self) -> int | None: ...

    async def issued(self, source: str) -> tuple[bool, int] | None:
        """(issued, last position issued) by the store of ``source``; None when it cannot say now."""


async def wait_for_position(pool: asyncpg.Pool, source: str, wanted: Awaited | int | None,
                            timeout: float = MAX_WAIT_SECONDS) -> None:
    """Wait until the event at ``wanted``'s position of ``source`` is in the read models.

    Events of one record are applied in order, so once a command's last event is visible every
    change that command made to that record is too.

    A position is waited for only if the owning store issued it: the read models alone cannot tell
    (positions arrive out of order across partitions, and the sequence has gaps where a transaction
    rolled back), so when the event is not there yet the owning service is asked once. A position it
    never issued is refused at once (422) rather than waited for until the timeout; if the service
    cannot answer, the wait goes on as before and ends in a 503.
    """
    position = wanted if isinstance(wanted, int) or wanted is None else wanted.position
    if not position:
        return
    started = time.monotonic()
    deadline = started + timeout
    delay = 0.001
    asked = isinstance(wanted, int)
    while True:
        if await pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM applied_events WHERE source = $1 AND position = $2)", source, position
        ):
            return
        if not asked:
            asked = True
            assert not isinstance(wanted, int) and wanted is not None
            answer = await wanted.issued(source)
            if answer is not None and not answer[0]:
                # The store's last position is not named: it would tell any caller how busy the service is.
                raise PositionNotIssued(
                    f"position {position} was never issued by the store of {source}; "
                    "pass the `position` a command of that service returned")
        if time.monotonic() >= deadline:
            raise NotCaughtUp(
                f"position {position} is not in the read models after {timeout:.0f} s; retry in a moment",
                retry_after_seconds=1,
            )
        await asyncio.sleep(delay)
        slow = time.monotonic() - started >= FAST_POLL_FOR_SECONDS
        delay = SLOW_POLL_SECONDS if slow else min(delay * 2, FAST_POLL_SECONDS)


def page(rows: list[asyncpg.Record], limit: int, key: str) -> tuple[list[dict[str, Any]], str | None]:
    items = [dict(r) for r in rows[:limit]]
    next_cursor = str(items[-1][key]) if len(rows) > limit and items else None
    return items, next_cursor


async def ping(pool: asyncpg.Pool) -> None:
    """Raise unless the read-model database answers (the readiness probe)."""
    await pool.fetchval("SELECT 1")
