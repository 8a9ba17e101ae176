"""The monthly dues assessment run: every open account gets the month's amount fixed, once.

Accounts are assessed concurrently (the store group-commits the appends); a month already assessed
or not yet owed is skipped, so the run can be repeated or resumed after a crash. Progress is logged.
`python -m services.membership.dues_run --month 2026-11` runs it by hand; benchmarks call run_month().
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from services.kernel import clock, logs
from services.kernel.store import CommandMeta, EventStore
from services.membership.contract.commands.dues import AssessMonth
from services.membership.handlers.dues import assess_month, dues_policy_state
from services.pure.errors import Problem
from services.pure.identity import Actor, Role

log = logging.getLogger("dues-run")
ENGINE = Actor(subject="dues-assessment-run", role=Role.COUNTY_ADMIN)


@dataclass(frozen=True)
class RunResult:
    month: str
    accounts: int
    assessed: int
    skipped: int
    seconds: float


async def run_month(store: EventStore[Any], month: str, today: date, *, concurrency: int = 64) -> RunResult:
    """Assess ``month`` on every dues account; ``today`` is the run's day (a month is assessed in or after it)."""
    started = time.perf_counter()
    ids = [r["stream_id"].removeprefix("dues-") for r in
           await store.pool.fetch("SELECT DISTINCT stream_id FROM events WHERE stream_type = 'dues'")]
    queue: asyncio.Queue[str] = asyncio.Queue()
    for member_id in ids:
        queue.put_nowait(member_id)
    counts = {"assessed": 0, "skipped": 0}
    correlation = f"dues-run-{month}-{uuid.uuid4().hex[:8]}"
    policy = await dues_policy_state(store)  # the published scales, read once for the whole run
    step = max(1, len(ids) // 20)

    async def worker() -> None:
        while not queue.empty():
            member_id = queue.get_nowait()
            # No idempotency key: assessing a month twice is refused by the rule itself (StateConflict).
            meta = CommandMeta(actor=ENGINE.label, occurred_at=datetime.now(UTC), correlation_id=correlation)
            try:
                await assess_month(store, AssessMonth(actor=ENGINE, today=today, member_id=member_id, month=month),
                                   meta, policy=policy)
                counts["assessed"] += 1
            except Problem:  # already assessed, not owed yet, or closed: nothing to do for this account
                counts["skipped"] += 1
            done = counts["assessed"] + counts["skipped"]
            if done % step == 0:
                log.info("dues run %s: %d/%d accounts (%.0f%%)", month, done, len(ids), 100 * done / len(ids))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result = RunResult(month=month, accounts=len(ids), assessed=counts["assessed"], skipped=counts["skipped"],
                       seconds=time.perf_counter() - started)
    log.info("dues run %s: %d assessed, %d skipped in %.1f s", month, result.assessed, result.skipped,
             result.seconds)
    return result


async def _main(month: str) -> None:
    from services.kernel.settings import load_settings
    from services.membership.contract.events import REGISTRY

    pool = await asyncpg.create_pool(load_settings().dsn("membership"), min_size=2, max_size=40)
    store: EventStore[Any] = EventStore(pool, REGISTRY)
    await store.start()
    try:
        await run_month(store, month, clock.today())
    finally:
        await store.stop()
        await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Assess one month's dues on every account.")
    parser.add_argument("--month", required=True, help="YYYY-MM")
    args = parser.parse_args()
    logs.configure()  # JSON lines with the correlation id (services/kernel/logs.py)
    asyncio.run(_main(args.month))
