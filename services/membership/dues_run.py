"""The monthly dues assessment run: every open account gets the month's amount fixed, once.

The run reads the accounts in chunks (one query each), folds and decides each account with the pure domain,
and appends a chunk's events in one transaction (services/kernel/store_batches.py: rows built and hash-chained
as the store builds them, copied into the events table under the store's append lock) while it decides the
next chunk and reads the one after — each account at the version it was read at, so one that changed meanwhile
is read and decided again on its own, as a single command would be. What the rule asks of the command alone
(the recording rule, the scale in force) is asked once per run. A month already assessed or not yet owed
is refused by the rule itself, so the run can be repeated or resumed after a crash and appends nothing twice.
An account closed before the month (the member died, was removed, or transferred out of the county:
services/membership/domain/dues_closing.py), or reopened after the month (the month is in the gap of a member who
came back), is skipped without deciding anything, and counted as skipped for that reason (``closed``). Progress
(accounts, rate, ETA) is logged every few seconds; ``./gb dues-run`` shows those lines.
`python -m services.membership.dues_run --month 2026-11` runs it by hand; benchmarks call run_month().
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

import asyncpg

from services.kernel import clock, logs, policy_stream, store_batches
from services.kernel.events import EventRegistry
from services.kernel.store import CommandMeta, EventStore
from services.membership.contract.commands.dues import AssessMonth
from services.membership.contract.events.dues import DuesScale
from services.membership.domain import dues
from services.membership.domain.dues import DuesAccount
from services.membership.domain.dues_policy import DuesPolicy
from services.membership.domain.dues_state import ended_in
from services.membership.handlers.dues import assess_month, dues_policy_state
from services.membership.policy import DEFAULT_POLICIES, MembershipPolicy
from services.pure.dates import first_day, noted, recording_reason, year_month
from services.pure.errors import DomainError, Problem
from services.pure.frozen import made
from services.pure.identity import Actor, Role
from services.pure.policy_data import in_force

log = logging.getLogger("dues-run")
ENGINE = Actor(subject="dues-assessment-run", role=Role.COUNTY_ADMIN)
#: Accounts read in one query, decided, and appended in one transaction (store_batches.append_rows).
CHUNK = 1000
#: Chunks being appended at once.
WRITERS = 2
#: Accounts decided between two looks at the reader and the writer: each of their round trips waits for one.
YIELD_EVERY = 20
#: Seconds between progress lines.
PROGRESS_EVERY = 5.0


@dataclass(frozen=True)
class RunResult:
    month: str
    accounts: int
    assessed: int
    skipped: int
    seconds: float
    #: Of ``skipped``: the accounts closed before the month (membership ended), or reopened after it (the month in
    #: their gap), for which nothing is owed.
    closed: int = 0


@dataclass
class _Progress:
    month: str
    accounts: int
    started: float = field(default_factory=time.perf_counter)
    assessed: int = 0
    skipped: int = 0
    closed: int = 0
    last_said: float = field(default_factory=time.perf_counter)

    def tell(self, *, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self.last_said < PROGRESS_EVERY:
            return
        self.last_said = now
        done = self.assessed + self.skipped
        rate = done / max(now - self.started, 1e-9)
        eta = (self.accounts - done) / rate if rate else 0.0
        log.info("dues run %s: %d/%d accounts (%.0f%%), %d assessed, %d skipped (%d closed), %.0f accounts/s,"
                 " ETA %.0f s", self.month, done, self.accounts, 100 * done / max(self.accounts, 1), self.assessed,
                 self.skipped, self.closed, rate, eta)


# A chunk's accounts, from its first to its last id (a range costs less to send and to look up than a list of ids;
# an account opened during the run between the two is read and decided too), with the last position this read
# saw: an account can only have moved on since by an event after it.
_READ = ("SELECT stream_id, version, type, data, hash, (SELECT coalesce(max(position), 0) FROM events) AS read_at"
         " FROM events WHERE stream_type = 'dues' AND stream_id BETWEEN $1 AND $2 ORDER BY stream_id, version")


class _Account(NamedTuple):
    """A dues account as a chunk's read found it: its state, version and last hash-chain link."""

    stream_id: str
    state: DuesAccount
    version: int
    last_hash: bytes | None


def _accounts(registry: EventRegistry[Any], rows: Sequence[asyncpg.Record]) -> Iterator[_Account]:
    """The accounts of ``rows`` (their events, by stream and version), each folded as a handler folds it."""
    current: str | None = None
    state, version, last_hash = dues.INITIAL, 0, None
    for stream_id, version_, wire, data, hash_, _ in rows:
        if stream_id != current:
            if current is not None:
                yield _Account(current, state, version, last_hash)
            current, state = stream_id, dues.INITIAL
        state = dues.evolve(state, registry.decode(wire, data))
        version, last_hash = version_, hash_
    if current is not None:
        yield _Account(current, state, version, last_hash)


@dataclass(frozen=True, kw_only=True)
class _RunPolicy(DuesPolicy):
    """The published scales, read once per run, with the scale in force in a month looked up once: the run asks
    for the same month on every account. The lookup is a function of the scales and the month alone."""

    found: dict[str | date, DuesScale] = field(default_factory=dict, compare=False, repr=False)

    def scale_on(self, month: str | date) -> DuesScale:
        if month not in self.found:
            self.found[month] = super().scale_on(month)
        return self.found[month]


def _reason(cmd: AssessMonth, recording: MembershipPolicy) -> str | None:
    """The recording rule of handlers/records.py for the run's commands: a function of a command's dates and
    backdating reason, which every account's command shares, so asked once per run. Raises its Problem."""
    return recording_reason(cmd, limit_days=recording.backdating_limit_days, archive_before=recording.records_kept_from)


def _decide(state: DuesAccount, cmd: AssessMonth, policy: DuesPolicy, reason: str | None) -> list[Any]:
    """What assess_month decides (services/membership/handlers/dues.py) after the recording rule gave ``reason``,
    with the policies read once per run. Raises the rule's Problem when refused."""
    return noted(dues.decide(state, cmd, policy=policy), reason)


@dataclass(frozen=True)
class _Chunk:
    """A chunk's decided assessments on their way to the store: the rows and each account's command."""

    rows: list[store_batches.Row]
    commands: dict[str, AssessMonth]
    meta: CommandMeta
    read_at: int


async def run_month(store: EventStore[Any], month: str, today: date) -> RunResult:
    """Assess ``month`` on every dues account; ``today`` is the run's day (a month is assessed in or after it).

    The run has its process to itself (``python -m services.membership.dues_run``, or a benchmark's), and the cyclic
    garbage collector is paused while it runs: what the run drops is freed by reference counting (a run over 100,000
    accounts and its repeat left 159 objects to the collector, measured), and the collections its allocations set off
    went over the live chunks and the whole process again and again (5 % of the run's time, measured)."""
    month = year_month(month, "the month to assess")
    if first_day(month) > today:  # every account would be skipped as not owed yet: a typo, not a run
        raise DomainError(f"{month} has not begun on {today}: a month is assessed in or after it")
    collecting = gc.isenabled()
    gc.disable()
    try:
        return await _run_month(store, month, today)
    finally:
        if collecting:
            gc.enable()


async def _run_month(store: EventStore[Any], month: str, today: date) -> RunResult:
    """The run: three steps overlap, so PostgreSQL reads the next chunk and writes the last one while this process
    decides the current one: the reader, the deciding here, and the writer, with at most two chunks waiting
    between."""
    ids = [r["stream_id"] for r in await store.pool.fetch(
        "SELECT DISTINCT stream_id FROM events WHERE stream_type = 'dues' ORDER BY stream_id")]
    progress = _Progress(month, len(ids))
    correlation = f"dues-run-{month}-{uuid.uuid4().hex[:8]}"
    policy = _RunPolicy(scales=(await dues_policy_state(store)).scales)
    recording = in_force(DEFAULT_POLICIES, await policy_stream.published_changes(store), "membership", today)
    reason = _reason(AssessMonth(actor=ENGINE, today=today, member_id="", month=month), recording)
    read: asyncio.Queue[list[asyncpg.Record] | None] = asyncio.Queue(maxsize=2)
    decided: asyncio.Queue[_Chunk | None] = asyncio.Queue(maxsize=2)

    async def reader() -> None:
        for start in range(0, len(ids), CHUNK):
            await read.put(await store.pool.fetch(_READ, ids[start], ids[min(start + CHUNK, len(ids)) - 1]))
        await read.put(None)

    async def write(chunk: _Chunk) -> None:
        # No idempotency key: assessing a month twice is refused by the rule itself (StateConflict).
        for stream_id, answer in (await store_batches.append_rows(store.pool, chunk.rows, chunk.read_at)).items():
            if not isinstance(answer, int):
                progress.assessed += 1
                continue
            try:  # the account moved on since it was read: decided again on its own, as one command would be
                await assess_month(store, chunk.commands[stream_id], chunk.meta, policy=policy)
                progress.assessed += 1
            except Problem as refused:
                progress.skipped += 1
                progress.closed += "closed_in" in refused.extra  # it closed meanwhile
        progress.tell()

    async def writer() -> None:
        # Two chunks in flight: one is copied in while the other holds the append lock.
        slots = asyncio.Semaphore(WRITERS)
        async with asyncio.TaskGroup() as writing:
            while (chunk := await decided.get()) is not None:
                await slots.acquire()
                writing.create_task(write(chunk)).add_done_callback(lambda _: slots.release())

    async with asyncio.TaskGroup() as tasks:  # one step failing stops the others
        tasks.create_task(reader())
        tasks.create_task(writer())
        while (rows := await read.get()) is not None:
            meta = CommandMeta(actor=ENGINE.label, occurred_at=clock.now(), correlation_id=correlation)
            chunk = _Chunk([], {}, meta, rows[0]["read_at"])
            new_rows = store_batches.NewRows(store.registry, actor=meta.actor, occurred_at=meta.occurred_at,
                                             correlation_id=correlation)
            for n, account in enumerate(_accounts(store.registry, rows), start=1):
                if n % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
                if ended_in(account.state, month):  # closed before it, or in a gap
                    progress.skipped += 1
                    progress.closed += 1
                    continue
                # made: what the constructor makes, for a fifth of its cost (services/pure/frozen.py)
                cmd = made(AssessMonth, actor=ENGINE, today=today, member_id=account.stream_id.removeprefix("dues-"),
                           month=month)
                try:
                    events = _decide(account.state, cmd, policy, reason)
                except Problem:  # already assessed, not owed yet, or closed: nothing to do for this account
                    progress.skipped += 1
                    continue
                chunk.commands[account.stream_id] = cmd
                chunk.rows.extend(new_rows.of(account.stream_id, "dues", account.version, account.last_hash, events))
            await decided.put(chunk)
        await decided.put(None)
    progress.tell(force=True)
    result = RunResult(month=month, accounts=len(ids), assessed=progress.assessed, skipped=progress.skipped,
                       seconds=time.perf_counter() - progress.started, closed=progress.closed)
    log.info("dues run %s: %d assessed, %d skipped (%d of them closed before the month: membership ended) in %.1f s",
             month, result.assessed, result.skipped, result.closed, result.seconds)
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


def _month(value: str) -> str:
    try:
        return year_month(value, "--month")
    except DomainError as exc:
        raise argparse.ArgumentTypeError(exc.detail) from None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Assess one month's dues on every account.")
    parser.add_argument("--month", required=True, type=_month, help="YYYY-MM")
    args = parser.parse_args()
    if first_day(args.month) > clock.today():
        parser.error(f"--month {args.month} has not begun: a month is assessed in or after it")
    logs.configure()  # JSON lines with the correlation id (services/kernel/logs.py)
    asyncio.run(_main(args.month))
