"""The monthly dues assessment run: every open account gets the month's amount fixed, once.

The run reads the accounts in chunks (one query each), decides each account's assessment with the pure
domain, and appends a chunk's events in one transaction (EventStore.append_many, services/kernel/
store_batches.py) while it reads the next chunk — each account at the version it was read at, so one that
changed meanwhile is read and decided again on its own, as a single command would be. A month already
assessed or not yet owed is refused by the rule itself, so the run can be repeated or resumed after a crash
and appends nothing twice.
Progress (accounts, rate, ETA) is logged every few seconds; ``./gb dues-run`` shows those lines.
`python -m services.membership.dues_run --month 2026-11` runs it by hand; benchmarks call run_month().
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from services.kernel import clock, logs, policy_stream
from services.kernel.handling import state_of
from services.kernel.store import CommandMeta, EventStore, RecordedEvent, Stream
from services.membership.contract.commands.dues import AssessMonth
from services.membership.domain import dues
from services.membership.domain.dues_policy import DuesPolicy
from services.membership.handlers.dues import assess_month, dues_policy_state
from services.membership.policy import DEFAULT_POLICIES, MembershipPolicy
from services.pure.dates import noted, recording_reason
from services.pure.errors import ConcurrencyConflict, Problem
from services.pure.identity import Actor, Role
from services.pure.policy_data import in_force

log = logging.getLogger("dues-run")
ENGINE = Actor(subject="dues-assessment-run", role=Role.COUNTY_ADMIN)
#: Accounts read in one query, decided, and appended in one transaction (EventStore.append_many).
CHUNK = 1000
#: Seconds between progress lines.
PROGRESS_EVERY = 5.0


@dataclass(frozen=True)
class RunResult:
    month: str
    accounts: int
    assessed: int
    skipped: int
    seconds: float


@dataclass
class _Progress:
    month: str
    accounts: int
    started: float = field(default_factory=time.perf_counter)
    assessed: int = 0
    skipped: int = 0
    last_said: float = field(default_factory=time.perf_counter)

    def tell(self, *, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self.last_said < PROGRESS_EVERY:
            return
        self.last_said = now
        done = self.assessed + self.skipped
        rate = done / max(now - self.started, 1e-9)
        eta = (self.accounts - done) / rate if rate else 0.0
        log.info("dues run %s: %d/%d accounts (%.0f%%), %d assessed, %d skipped, %.0f accounts/s, ETA %.0f s",
                 self.month, done, self.accounts, 100 * done / max(self.accounts, 1), self.assessed, self.skipped,
                 rate, eta)


async def _accounts(store: EventStore[Any], member_ids: Sequence[str]) -> dict[str, Stream[Any]]:
    """The dues streams of ``member_ids``, whole, in one query."""
    rows = await store.pool.fetch(
        "SELECT position, event_id, stream_id, stream_type, version, type, data, occurred_at, recorded_at, actor,"
        " correlation_id, causation_id, prev_hash, hash, traceparent FROM events WHERE stream_id = ANY($1::text[])"
        " ORDER BY stream_id, version", [dues.stream_id(m) for m in member_ids])
    events: dict[str, list[RecordedEvent[Any]]] = {}
    for row in rows:
        env = store.envelope_from_row(row)
        events.setdefault(row["stream_id"], []).append(
            RecordedEvent(envelope=env, event=store.registry.decode(env.type, env.data)))
    return {m: Stream(stream_id=dues.stream_id(m), version=found[-1].envelope.stream_version if found else 0,
                      events=found)
            for m in member_ids for found in (events.get(dues.stream_id(m), []),)}


def _decide(stream: Stream[Any], cmd: AssessMonth, policy: DuesPolicy, recording: MembershipPolicy) -> list[Any]:
    """What assess_month decides (services/membership/handlers/dues.py), with the policies read once per run:
    the recording rule of handlers/records.py, then the dues rule. Raises the rule's Problem when refused."""
    reason = recording_reason(cmd, limit_days=recording.backdating_limit_days,
                              archive_before=recording.records_kept_from)
    return noted(dues.decide(state_of(stream, dues.evolve, dues.INITIAL), cmd, policy=policy), reason)


async def run_month(store: EventStore[Any], month: str, today: date) -> RunResult:
    """Assess ``month`` on every dues account; ``today`` is the run's day (a month is assessed in or after it)."""
    ids = [r["stream_id"].removeprefix("dues-") for r in await store.pool.fetch(
        "SELECT DISTINCT stream_id FROM events WHERE stream_type = 'dues' ORDER BY stream_id")]
    progress = _Progress(month, len(ids))
    correlation = f"dues-run-{month}-{uuid.uuid4().hex[:8]}"
    policy = await dues_policy_state(store)  # the published scales, read once for the whole run
    recording = in_force(DEFAULT_POLICIES, await policy_stream.published_changes(store), "membership", today)

    async def write(decided: list[tuple[Stream[Any], list[Any], AssessMonth]], meta: CommandMeta) -> None:
        # No idempotency key: assessing a month twice is refused by the rule itself (StateConflict).
        answers = await store.append_many([(stream, "dues", events) for stream, events, _ in decided], meta)
        for (_, _, cmd), answer in zip(decided, answers, strict=True):
            if not isinstance(answer, ConcurrencyConflict):
                progress.assessed += 1
                continue
            try:  # the account moved on since it was read: decided again on its own, as one command would be
                await assess_month(store, cmd, meta, policy=policy)
                progress.assessed += 1
            except Problem:
                progress.skipped += 1
        progress.tell()

    writing: asyncio.Task[None] | None = None
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        streams = await _accounts(store, chunk)  # read while the chunk before is being written
        meta = CommandMeta(actor=ENGINE.label, occurred_at=datetime.now(UTC), correlation_id=correlation)
        decided = []
        for member_id in chunk:
            cmd = AssessMonth(actor=ENGINE, today=today, member_id=member_id, month=month)
            try:
                decided.append((streams[member_id], _decide(streams[member_id], cmd, policy, recording), cmd))
            except Problem:  # already assessed, not owed yet, or closed: nothing to do for this account
                progress.skipped += 1
        if writing is not None:
            await writing
        writing = asyncio.create_task(write([d for d in decided if d[1]], meta)) if decided else None
    if writing is not None:
        await writing
    progress.tell(force=True)
    result = RunResult(month=month, accounts=len(ids), assessed=progress.assessed, skipped=progress.skipped,
                       seconds=time.perf_counter() - progress.started)
    log.info("dues run %s: %d assessed, %d skipped in %.1f s", month, result.assessed, result.skipped,
             result.seconds)
    return result


async def _main(month: str) -> None:
    from services.kernel.settings import load_settings
    from services.membership.contract.events import REGISTRY

    pool = await asyncpg.create_pool(load_settings().dsn("membership"), min_size=2, max_size=8)
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
