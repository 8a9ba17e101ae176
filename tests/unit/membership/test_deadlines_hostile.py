"""Hostile review of the deadline engine (2026-12-02): the hourly timer outlives a PostgreSQL restart and a failing
run, one record's failure leaves every other record's items raised, and a run by hand beside the hourly one raises
nothing twice and nothing is lost to their race."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest

from services.kernel.store import RecordedEvent, Stream
from services.membership import deadlines
from services.membership.deadlines import Subject
from services.membership.domain import deadlines as raised_once
from services.pure.due import DueItem
from services.pure.errors import ConcurrencyConflict

TODAY = date(2026, 12, 2)


class LostConnection:
    """The connection holding the scheduler's lock, gone with a PostgreSQL restart."""

    async def fetchval(self, *_: Any) -> Any:
        raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")

    async def execute(self, *_: Any) -> Any:
        raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")

    def is_closed(self) -> bool:
        return False

    def terminate(self) -> None:
        pass


class Leader:
    """A connection that gets the lock."""

    async def fetchval(self, *_: Any) -> Any:
        return True

    async def execute(self, *_: Any) -> Any:
        return "SELECT 1"

    def is_closed(self) -> bool:
        return False


@dataclass
class Pool:
    connections: list[Any]
    streams: dict[str, list[str]] = field(default_factory=dict)

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[Any]:
        yield self.connections.pop(0)

    async def fetch(self, _sql: str, stream_type: str) -> list[dict[str, str]]:
        return [{"stream_id": s} for s in self.streams.get(stream_type, [])]


@dataclass
class Store:
    """The event store as the engine uses it: streams of plain events, appends checked against the version."""

    pool: Pool
    events: dict[str, list[Any]] = field(default_factory=dict)
    #: Appends refused as if another run had appended first (that run's events are appended instead).
    racing: list[list[Any]] = field(default_factory=list)

    async def load(self, stream_id: str) -> Stream[Any]:
        events = self.events.get(stream_id, [])
        # The kind each stream is appended as: the deadline engine's own streams, and the members' (records()).
        kind = SimpleNamespace(stream_type="deadlines" if stream_id.startswith("deadlines-") else "member")
        return Stream(stream_id=stream_id, version=len(events),
                      events=[RecordedEvent(envelope=kind, event=e) for e in events])  # type: ignore[arg-type]

    async def append(self, stream: Stream[Any], _type: str, events: list[Any], _meta: Any) -> None:
        if self.racing:
            self.events.setdefault(stream.stream_id, []).extend(self.racing.pop(0))
        if len(self.events.get(stream.stream_id, [])) != stream.version:
            raise ConcurrencyConflict(f"stream {stream.stream_id} moved on")
        self.events.setdefault(stream.stream_id, []).extend(events)


def interview(subject_id: str) -> DueItem:
    return DueItem(kind="interview_due", due_on=date(2026, 11, 1), subject_id=subject_id, overdue=True)


def subject(broken: str | None = None) -> Subject:
    def due(record: str, on: date) -> list[DueItem]:
        if record == broken:
            raise KeyError("a rule that never saw this state")
        return [interview(record)]

    # A record's state is its last event: here its id (see records()).
    return Subject(stream_type="member", initial="", evolve=lambda _, e: e, due_items=due, org_of=lambda _: "b-1")


def records(*ids: str) -> Store:
    return Store(Pool([], streams={"member": list(ids)}), events={i: [i] for i in ids})


async def test_the_hourly_engine_runs_again_after_postgresql_took_its_lock_connection_away(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stop = asyncio.Event()
    days: list[date] = []

    async def run_once(_store: Any, today: date) -> int:
        days.append(today)
        stop.set()
        return 0

    monkeypatch.setattr(deadlines, "run_once", run_once)
    monkeypatch.setattr(deadlines, "RETRY_SECONDS", 0.0, raising=False)
    store = Store(Pool([LostConnection(), Leader()]))
    # Before the fix the lost connection's error ended the timer: the service went on answering and raised no
    # deadline again until it was restarted.
    await asyncio.wait_for(deadlines.run_daily(store, stop, every_seconds=3600.0), 30)  # type: ignore[arg-type]
    assert len(days) == 1


async def test_a_failed_run_is_tried_again_and_the_timer_lives_on(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = asyncio.Event()
    runs: list[date] = []

    async def run_once(_store: Any, today: date) -> int:
        runs.append(today)
        if len(runs) == 1:
            raise ConcurrencyConflict("stream deadlines-m-1 moved on")
        stop.set()
        return 0

    monkeypatch.setattr(deadlines, "run_once", run_once)
    await asyncio.wait_for(deadlines.run_daily(Store(Pool([Leader()])), stop, every_seconds=0.0),  # type: ignore[arg-type]
                           30)
    assert len(runs) == 2


async def test_one_record_whose_rules_fail_leaves_every_other_record_s_items_raised() -> None:
    store = records("m-1", "m-2", "m-3")
    raised = await deadlines.run_once(store, TODAY, [subject(broken="m-2")])  # type: ignore[arg-type]
    # Before the fix the run stopped at m-2: m-3's interview was never raised, on any day, until m-2 changed.
    assert raised == 2
    assert sorted(s for s in store.events if s.startswith("deadlines-")) == ["deadlines-m-1", "deadlines-m-3"]


async def test_a_run_by_hand_beside_the_hourly_one_raises_each_item_once_and_loses_none() -> None:
    store = records("m-1", "m-2")
    # The other run raised m-1's interview between this run's read and its append.
    [other] = raised_once.decide(raised_once.INITIAL, raised_once.RaiseDueItems(
        subject_id="m-1", subject_type="member", org_id="b-1", today=TODAY, items=(interview("m-1"),)))
    store.racing.append([other])
    await deadlines.run_once(store, TODAY, [subject()])  # type: ignore[arg-type]
    assert [len(store.events.get(f"deadlines-{m}", [])) for m in ("m-1", "m-2")] == [1, 1]
