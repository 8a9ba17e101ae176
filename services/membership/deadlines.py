"""Deadline scheduler: once a day, asks every record's rules what is due and raises it as events.

The rules are pure (each aggregate's ``due_items``); this module is the I/O around them: it lists
the records, loads and folds them, and appends ``DeadlineRaised`` events through the deadline
aggregate, which raises each item once. "Today" is read here, at the edge, in the county's time
zone — or given on the command line to replay a day (``--on 2026-12-01``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from services.kernel import clock, logs
from services.kernel.handling import state_of
from services.kernel.store import CommandMeta, EventStore
from services.membership.contract.commands.transfers import ExpireLetter
from services.membership.domain import deadlines
from services.membership.domain.deadlines import RaiseDueItems
from services.membership.domain.person import Person
from services.membership.handlers.dues import dues_policy_state
from services.membership.handlers.policies import Policies, policies
from services.membership.handlers.transfers import transfer_step
from services.membership.policy.dues import DuesPolicy
from services.pure.due import DueItem
from services.pure.errors import ConcurrencyConflict, Problem, Unavailable
from services.pure.identity import Actor, Role

log = logging.getLogger("deadlines")


@dataclass(frozen=True)
class Subject:
    """A kind of record whose rules produce due items."""

    stream_type: str
    initial: Any
    evolve: Callable[[Any, Any], Any]
    due_items: Callable[[Any, date], list[DueItem]]
    org_of: Callable[[Any], str]
    #: Letters the engine itself expires once their last valid day has passed, if the record has any.
    expiring: Callable[[Any, date], list[ExpireLetter]] | None = None


def subjects(dues_policy: DuesPolicy, published: Policies | None = None) -> list[Subject]:
    """Every kind of record with deadlines; each aggregate contributes its ``due_items``, by the policy in force
    on the day as the county published it (``published``: the policy stream; dues: the published scales)."""
    policies = published or Policies(published=())
    from services.membership.domain import branches, dues, person
    from services.membership.domain.dues_arrears import due_items as dues_due_items

    return [
        Subject(stream_type="member", initial=person.INITIAL, evolve=person.evolve,
                due_items=lambda p, on: person.due_items(p, on, policies.mobility(on), policies.development(on)),
                org_of=lambda p: p.org_id, expiring=_expire_letters),
        Subject(stream_type="branch", initial=branches.INITIAL, evolve=branches.evolve,
                due_items=lambda o, on: branches.due_items(o, on, policies.organisation(on)),
                org_of=lambda o: o.org_id),
        # Dues reminders and the six-unpaid-months lapse review (B2).
        Subject(stream_type="dues", initial=dues.INITIAL, evolve=dues.evolve,
                due_items=lambda account, on: dues_due_items(account, on, dues_policy), org_of=lambda a: a.org_id),
    ]


ENGINE = Actor(subject="deadline-engine", role=Role.COUNTY_ADMIN)


def _expire_letters(state: Person, today: date) -> list[ExpireLetter]:
    """A letter still not received the day after its last valid day is expired (B3; 90 days by policy)."""
    transfer = state.member.transfer if state.member.exists else None
    letter = transfer.letter if transfer else None
    if transfer is None or letter is None or letter.expired_on is not None or today <= letter.valid_until:
        return []
    return [ExpireLetter(actor=ENGINE, today=today, member_id=state.member.member_id,
                         transfer_id=transfer.transfer_id, letter_number=letter.number)]


def deadline_stream(record_id: str) -> str:
    return f"deadlines-{record_id}"


async def run_once(store: EventStore[Any], today: date, kinds: list[Subject] | None = None) -> int:
    """Raise what is due on ``today`` for every record; return how many events were appended.

    One record's failure (a rule that raises on a state nobody foresaw) is logged by its stream id and the run
    goes on with the others; PostgreSQL going away ends the run (every record would fail alike)."""
    raised = 0
    meta = CommandMeta(actor="system:deadline-engine", occurred_at=clock.now(),
                       correlation_id=f"deadlines-{today.isoformat()}-{uuid.uuid4().hex[:8]}")
    every = kinds if kinds is not None else subjects(await dues_policy_state(store), await policies(store))
    for subject in every:
        ids = await store.pool.fetch("SELECT DISTINCT stream_id FROM events WHERE stream_type = $1",
                                     subject.stream_type)
        for row in ids:
            try:
                raised += await _raise_for(store, subject, row["stream_id"], today, meta)
            except OUTAGES:
                raise
            except Exception:
                log.exception("deadline engine: the items of %s %s were not raised on %s", subject.stream_type,
                              row["stream_id"], today)
    log.info("deadline run for %s raised %d items", today, raised)
    return raised


#: PostgreSQL unreachable or gone: the run stops, and is tried again later (run_daily).
OUTAGES = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError, Unavailable)
#: Times one record's items are decided again when another run raised some of them first (a run by hand,
#: ``--on``, beside the hourly one): each time on what the other run appended.
CONFLICT_RETRIES = 3


async def _raise_for(store: EventStore[Any], subject: Subject, stream_id: str, today: date,
                     meta: CommandMeta) -> int:
    record = state_of(await store.load(stream_id), subject.evolve, subject.initial, kind=subject.stream_type)
    raised = 0
    for command in subject.expiring(record, today) if subject.expiring else []:
        try:
            await transfer_step(store, command, meta)
            raised += 1
        except Problem as exc:  # refused (e.g. received meanwhile): nothing to do
            log.info("deadline engine: %s refused: %s", type(command).__name__, exc.detail)
    items = tuple(subject.due_items(record, today))
    if not items:
        return raised
    for attempt in range(CONFLICT_RETRIES):
        stream = await store.load(deadline_stream(stream_id))
        events = deadlines.decide(
            state_of(stream, deadlines.evolve, deadlines.INITIAL, kind="deadlines"),
            RaiseDueItems(subject_id=stream_id, subject_type=subject.stream_type,
                          org_id=subject.org_of(record), today=today, items=items),
        )
        if not events:
            return raised
        try:
            await store.append(stream, "deadlines", events, meta)
            return raised + len(events)
        except ConcurrencyConflict:
            if attempt == CONFLICT_RETRIES - 1:
                raise
    return raised


def county_today() -> date:
    return clock.today()


#: Seconds before a run that failed (PostgreSQL away, the leader's connection lost) is tried again, at most.
RETRY_SECONDS = 60.0


async def run_daily(store: EventStore[Any], stop: asyncio.Event, every_seconds: float = 3600.0) -> None:
    """Run the engine now and then every ``every_seconds``; only one membership process runs it (the one holding
    the scheduler's lock). Whatever fails — a run, or the connection holding the lock when PostgreSQL restarts —
    is logged and tried again: the timer lives as long as the process (it once ended for good on the first
    error other than a PostgreSQL one, and the county's deadlines stopped while the service went on answering)."""
    while not stop.is_set():
        try:
            await _lead(store, stop, every_seconds)
        except Exception:
            log.exception("deadline engine failed; next try in %.0f s", min(every_seconds, RETRY_SECONDS))
        await _pause(stop, min(every_seconds, RETRY_SECONDS))


async def _lead(store: EventStore[Any], stop: asyncio.Event, every_seconds: float) -> None:
    async with store.pool.acquire() as conn:
        try:
            while not stop.is_set():
                if await conn.fetchval("SELECT pg_try_advisory_lock(hashtext('gb_deadline_scheduler'))"):
                    try:
                        await run_once(store, county_today())
                    except OUTAGES:
                        raise  # the lock's connection may be gone too: take a fresh one
                    except Exception:
                        log.exception("deadline run failed; next try in %.0f s", every_seconds)
                await _pause(stop, every_seconds)
        finally:
            # The pool does not reset connections on release (services/kernel/pools.py): the session lock goes
            # here, or the connection would keep the scheduler's leadership for whoever takes it next.
            if not conn.is_closed():
                try:
                    await conn.execute("SELECT pg_advisory_unlock_all()")
                except OUTAGES:
                    conn.terminate()


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


async def _main(on: date) -> None:
    from services.kernel.settings import load_settings
    from services.membership.contract.events import REGISTRY

    pool = await asyncpg.create_pool(load_settings().dsn("membership"), min_size=1, max_size=4)
    store: EventStore[Any] = EventStore(pool, REGISTRY)
    await store.start()
    try:
        await run_once(store, on)
    finally:
        await store.stop()
        await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Raise the due items of every record for one day.")
    parser.add_argument("--on", type=date.fromisoformat, default=None, help="the day (default: today in the county)")
    args = parser.parse_args()
    logs.configure()  # JSON lines with the correlation id (services/kernel/logs.py)
    asyncio.run(_main(args.on or county_today()))
