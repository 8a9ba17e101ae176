"""A run's appends (services/kernel/store_batches.append_rows) against the real PostgreSQL: rows whose streams did not
move since the reads are copied straight into the events table with their outbox rows; one stream that moved on
sends the whole append the stream-by-stream way, where only that stream is refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg

from services.kernel.audit import verify_stream
from services.kernel.store import EventStore
from services.kernel.store_batches import NewRows, append_rows
from tests.integration.notes import REGISTRY, Noted, meta, sid


def new_rows() -> NewRows:
    return NewRows(REGISTRY, actor="tester", occurred_at=datetime.now(UTC), correlation_id="run")


async def _outbox(pool: asyncpg.Pool, streams: list[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {s: [] for s in streams}
    for r in await pool.fetch("SELECT id, aggregateid FROM outbox WHERE aggregateid = ANY($1) ORDER BY id", streams):
        found[r["aggregateid"]].append(r["id"])
    return found


async def test_rows_of_streams_still_as_read_are_appended_in_order_each_with_its_outbox_row(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    old, fresh = sid(), sid()
    await store.append(await store.load(old), "note", [Noted(text="first")], meta())
    at_old = await store.load(old)
    read_at = await kernel_pool.fetchval("SELECT max(position) FROM events")
    new = new_rows()
    rows = [*new.of(old, "note", 1, at_old.last_hash, [Noted(text="second"), Noted(text="third")]),
            *new.of(fresh, "note", 0, None, [Noted(text="opened")])]
    answers = await append_rows(kernel_pool, rows, read_at)
    positions = {r["event_id"]: r["position"] for r in await kernel_pool.fetch(
        "SELECT event_id::text, position FROM events WHERE stream_id = ANY($1)", [old, fresh])}
    mine = [positions[row[0]] for row in rows]
    assert mine == sorted(mine)
    assert answers == {old: (3, mine[0], mine[1]), fresh: (1, mine[2], mine[2])}
    assert [e.event.text for e in (await store.load(old)).events] == ["first", "second", "third"]
    outbox = await _outbox(kernel_pool, [old, fresh])
    assert (outbox[old][1:], outbox[fresh]) == ([mine[0], mine[1]], [mine[2]])
    assert await verify_stream(store, old) == [] and await verify_stream(store, fresh) == []


async def test_one_stream_moved_on_is_refused_alone_and_the_others_appended(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    """With the reads' position (the dues run's path): only streams with an event after it are looked up, and one
    that moved on is a conflict with nothing of it written."""
    moved, still = sid(), sid()
    for stream_id in (moved, still):
        await store.append(await store.load(stream_id), "note", [Noted(text="first")], meta())
    at_moved, at_still = await store.load(moved), await store.load(still)
    read_at = await kernel_pool.fetchval("SELECT max(position) FROM events")
    await store.append(at_moved, "note", [Noted(text="meanwhile")], meta())
    new = new_rows()
    rows = [*new.of(moved, "note", 1, at_moved.last_hash, [Noted(text="late")]),
            *new.of(still, "note", 1, at_still.last_hash, [Noted(text="on time")])]
    answers = await append_rows(kernel_pool, rows, read_at)
    done = answers[still]
    assert answers[moved] == 2 and isinstance(done, tuple) and done[0] == 2
    assert [e.event.text for e in (await store.load(moved)).events] == ["first", "meanwhile"]
    assert [e.event.text for e in (await store.load(still)).events] == ["first", "on time"]
    assert {s: len(p) for s, p in (await _outbox(kernel_pool, [moved, still])).items()} == {moved: 2, still: 2}
    assert await verify_stream(store, still) == []


async def test_without_the_reads_position_every_stream_is_looked_up_and_one_moved_on_refused_alone(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    moved, still = sid(), sid()
    at_moved = await store.load(moved)
    await store.append(at_moved, "note", [Noted(text="meanwhile")], meta())
    new = new_rows()
    rows = [*new.of(moved, "note", 0, None, [Noted(text="late 1"), Noted(text="late 2")]),
            *new.of(still, "note", 0, None, [Noted(text="on time")])]
    answers = await append_rows(kernel_pool, rows)
    done = answers[still]
    assert answers[moved] == 1 and isinstance(done, tuple) and done[0] == 1
    assert [e.event.text for e in (await store.load(moved)).events] == ["meanwhile"]
    assert [e.event.text for e in (await store.load(still)).events] == ["on time"]
    outbox = {s: len(p) for s, p in (await _outbox(kernel_pool, [moved, still])).items()}
    assert outbox == {moved: 1, still: 1}
    assert await verify_stream(store, still) == []


async def test_two_runs_appending_at_once_commit_their_positions_in_order(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    """The append lock is held from before the copy: each append's events take one unbroken run of positions."""
    read_at = await kernel_pool.fetchval("SELECT coalesce(max(position), 0) FROM events")
    batches = [[row for _ in range(50) for row in new_rows().of(sid(), "note", 0, None, [Noted(text="x")] * 3)]
               for _ in range(4)]
    answers = await asyncio.gather(*(append_rows(kernel_pool, rows, read_at) for rows in batches))
    for found in answers:
        spans = sorted((a[1], a[2]) for a in found.values() if isinstance(a, tuple))
        assert len(spans) == 50 and spans[-1][1] - spans[0][0] == 149
