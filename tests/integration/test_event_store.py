"""The event store against the real PostgreSQL: versions, idempotency, hash chain, history."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import asyncpg
import pytest

from services.kernel.audit import verify_stream
from services.kernel.handling import execute
from services.kernel.reservations import Reservations, ReservationTaken, StaleRead
from services.kernel.store import EventStore
from services.pure.errors import AlreadyExists, ConcurrencyConflict, IdempotencyKeyReused
from tests.integration.notes import REGISTRY, Noted, meta, sid


async def test_appended_events_load_back_in_order_with_positions(store: EventStore[Noted]) -> None:
    stream_id = sid()
    r1 = await store.append(await store.load(stream_id), "note", [Noted(text="a"), Noted(text="b")], meta())
    r2 = await store.append(await store.load(stream_id), "note", [Noted(text="c")], meta())
    loaded = await store.load(stream_id)
    assert [e.event.text for e in loaded.events] == ["a", "b", "c"]
    assert loaded.version == 3 and r2.stream_version == 3
    assert r1.first_position < r1.last_position < r2.last_position


async def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(store: EventStore[Noted]) -> None:
    stream_id = sid()
    empty = await store.load(stream_id)
    await store.append(empty, "note", [Noted(text="first")], meta())
    with pytest.raises(ConcurrencyConflict):
        await store.append(empty, "note", [Noted(text="second")], meta())
    assert [e.event.text for e in (await store.load(stream_id)).events] == ["first"]


async def test_of_many_concurrent_writers_on_one_version_exactly_one_wins(store: EventStore[Noted]) -> None:
    stream_id = sid()
    empty = await store.load(stream_id)
    results = await asyncio.gather(
        *(store.append(empty, "note", [Noted(text=str(i))], meta()) for i in range(20)), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, ConcurrencyConflict) for r in results if isinstance(r, Exception))
    assert (await store.load(stream_id)).version == 1


async def test_a_retried_idempotency_key_returns_the_first_result_and_writes_nothing(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    key = f"k-{uuid.uuid4()}"
    stream_id = sid()
    first = await store.append(await store.load(stream_id), "note", [Noted(text="x")], meta(key))
    before = await kernel_pool.fetchval("SELECT count(*) FROM events")
    again = await store.append(await store.load(sid()), "note", [Noted(text="x")], meta(key))
    assert again.replayed and (again.stream_id, again.last_position) == (first.stream_id, first.last_position)
    assert await kernel_pool.fetchval("SELECT count(*) FROM events") == before
    assert await store.lookup_idempotency(key, "f") == again


async def test_concurrent_retries_with_one_key_write_once(store: EventStore[Noted], kernel_pool: asyncpg.Pool) -> None:
    key = f"k-{uuid.uuid4()}"
    streams = [await store.load(sid()) for _ in range(10)]
    results = await asyncio.gather(*(store.append(s, "note", [Noted(text="y")], meta(key)) for s in streams))
    assert len({r.last_position for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1


async def test_an_idempotency_key_reused_for_another_request_is_refused(store: EventStore[Noted]) -> None:
    key = f"k-{uuid.uuid4()}"
    await store.append(await store.load(sid()), "note", [Noted(text="x")], meta(key, "body-1"))
    with pytest.raises(IdempotencyKeyReused):
        await store.append(await store.load(sid()), "note", [Noted(text="z")], meta(key, "body-2"))


async def test_every_event_gets_an_outbox_row_in_the_same_transaction(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    result = await store.append(await store.load(sid()), "note", [Noted(text="o1"), Noted(text="o2")], meta())
    ids = await kernel_pool.fetch("SELECT id FROM outbox WHERE id BETWEEN $1 AND $2", result.first_position,
                                  result.last_position)
    assert len(ids) == 2


async def test_the_hash_chain_verifies_and_detects_an_edited_event(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    stream_id = sid()
    for text in ("one", "two", "three"):
        await store.append(await store.load(stream_id), "note", [Noted(text=text)], meta())
    assert await verify_stream(store, stream_id) == []
    await kernel_pool.execute(
        "UPDATE events SET data = '{\"text\":\"TWO\"}' WHERE stream_id = $1 AND version = 2", stream_id
    )
    problems = await verify_stream(store, stream_id)
    assert problems == ["version 2: content does not match its hash"]


async def clock_passes(pool: asyncpg.Pool, instant: datetime, *, within: float = 5.0) -> None:
    """Wait until the database clock (which stamps ``recorded_at``) reads later than ``instant``."""
    async with asyncio.timeout(within):
        while not await pool.fetchval("SELECT clock_timestamp() > $1", instant):
            pass  # each query takes time, and the clock moves at microsecond resolution


async def test_a_stream_loads_up_to_a_version_and_as_of_a_time(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    stream_id = sid()
    await store.append(await store.load(stream_id), "note", [Noted(text="early")], meta())
    (early,) = (await store.load(stream_id)).events
    between = early.envelope.recorded_at
    assert between is not None
    await clock_passes(kernel_pool, between)  # so the next event is recorded strictly later
    await store.append(await store.load(stream_id), "note", [Noted(text="late")], meta())
    assert [e.event.text for e in (await store.load(stream_id, up_to_version=1)).events] == ["early"]
    assert [e.event.text for e in (await store.load(stream_id, as_of=between)).events] == ["early"]
    assert (await store.load(stream_id)).version == 2


async def test_the_writer_survives_an_error_raised_inside_its_own_error_handling(kernel_pool: asyncpg.Pool) -> None:
    """A batch fails, then giving its connection back fails too: those commands get the error,
    and the writer goes on — later appends complete instead of waiting forever."""
    store = EventStore(kernel_pool, REGISTRY)
    await store.start()
    real_write, real_give_back = store._write_batch, store._give_back
    failures = {"write": 1, "drop": 1}

    async def failing_write(conn: asyncpg.Connection, batch: list[Any]) -> list[Any]:
        if failures["write"]:
            failures["write"] -= 1
            raise asyncpg.exceptions.ConnectionDoesNotExistError("injected: the connection was lost")
        return await real_write(conn, batch)

    async def failing_give_back(conn: asyncpg.Connection) -> None:
        if failures["drop"]:
            failures["drop"] -= 1
            await real_give_back(conn)
            raise RuntimeError("injected: releasing the connection failed as well")
        await real_give_back(conn)

    store._write_batch = failing_write  # type: ignore[method-assign]
    store._give_back = failing_give_back  # type: ignore[method-assign]
    try:
        with pytest.raises(asyncpg.exceptions.ConnectionDoesNotExistError):
            await asyncio.wait_for(store.append(await store.load(sid()), "note", [Noted(text="lost")], meta()), 10)
        assert failures == {"write": 0, "drop": 0}, "the injected errors did not happen"
        assert store._writer.running, "the writer task ended"
        later = [sid() for _ in range(20)]
        empties = [await store.load(s) for s in later]
        results = await asyncio.wait_for(asyncio.gather(
            *(store.append(e, "note", [Noted(text=e.stream_id)], meta()) for e in empties)), 10)
        assert [r.stream_version for r in results] == [1] * 20
        for s in later:
            assert [e.event.text for e in (await store.load(s)).events] == [s]
    finally:
        await store.stop()


async def test_a_position_is_known_to_be_issued_or_not(store: EventStore[Noted]) -> None:
    result = await store.append(await store.load(sid()), "note", [Noted(text="p")], meta())
    assert await store.issued(result.last_position) == (True, (await store.issued(0))[1])
    issued, last = await store.issued(result.last_position + 1_000_000)
    assert not issued and last >= result.last_position


async def test_the_trace_context_is_stored_with_each_event_and_stays_outside_the_hash_chain(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    traceparent = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"
    stream_id = sid()
    await store.append(await store.load(stream_id), "note", [Noted(text="t1"), Noted(text="t2")],
                       meta(traceparent=traceparent))
    await store.append(await store.load(stream_id), "note", [Noted(text="t3")], meta())
    loaded = await store.load(stream_id)
    assert [e.envelope.traceparent for e in loaded.events] == [traceparent, traceparent, None]
    assert loaded.events[0].envelope.extensions()["traceparent"] == traceparent
    # Rewriting how an event was observed is not rewriting what happened: the chain still verifies.
    await kernel_pool.execute("UPDATE events SET traceparent = NULL WHERE stream_id = $1", stream_id)
    assert await verify_stream(store, stream_id) == []


async def holder_of(pool: asyncpg.Pool, key: str) -> str | None:
    holder: str | None = await pool.fetchval("SELECT holder FROM reservations WHERE key = $1", key)
    return holder


async def test_a_claim_on_a_key_another_stream_holds_fails_that_command_alone_and_writes_nothing(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    key, holder, loser, bystander = f"key-{uuid.uuid4()}", sid(), sid(), sid()
    await store.append(await store.load(holder), "note", [Noted(text="holds")], meta(), Reservations(claim=(key,)))
    results = await asyncio.gather(
        store.append(await store.load(loser), "note", [Noted(text="claims")], meta(), Reservations(claim=(key,))),
        store.append(await store.load(bystander), "note", [Noted(text="unrelated")], meta()),
        return_exceptions=True)
    assert isinstance(results[0], ReservationTaken) and (results[0].key, results[0].holder) == (key, holder)
    assert not isinstance(results[1], BaseException), results[1]
    assert (await store.load(loser)).version == 0 and (await store.load(bystander)).version == 1
    assert await holder_of(kernel_pool, key) == holder
    # Claiming again what the stream holds is no conflict.
    await store.append(await store.load(holder), "note", [Noted(text="again")], meta(), Reservations(claim=(key,)))


async def test_of_many_streams_claiming_one_key_at_once_exactly_one_holds_it(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    key, streams = f"key-{uuid.uuid4()}", [sid() for _ in range(20)]
    empties = [await store.load(s) for s in streams]
    results = await asyncio.gather(*(store.append(e, "note", [Noted(text="c")], meta(), Reservations(claim=(key,)))
                                     for e in empties), return_exceptions=True)
    winners = [s for s, r in zip(streams, results, strict=True) if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, ReservationTaken) for r in results if isinstance(r, BaseException))
    assert await holder_of(kernel_pool, key) == winners[0]


async def test_only_the_holder_releases_a_key_and_it_does_so_in_the_append_of_its_event(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    key, holder, other = f"key-{uuid.uuid4()}", sid(), sid()
    await store.append(await store.load(holder), "note", [Noted(text="holds")], meta(), Reservations(claim=(key,)))
    await store.append(await store.load(other), "note", [Noted(text="not mine")], meta(), Reservations(release=(key,)))
    assert await holder_of(kernel_pool, key) == holder
    stale = await store.load(holder)
    await store.append(stale, "note", [Noted(text="moves on")], meta())
    # A release whose append conflicts is not written either.
    with pytest.raises(ConcurrencyConflict):
        await store.append(stale, "note", [Noted(text="ends, stale")], meta(), Reservations(release=(key,)))
    assert await holder_of(kernel_pool, key) == holder
    await store.append(await store.load(holder), "note", [Noted(text="ends")], meta(), Reservations(release=(key,)))
    assert await holder_of(kernel_pool, key) is None
    await store.append(await store.load(other), "note", [Noted(text="takes")], meta(), Reservations(claim=(key,)))
    assert await holder_of(kernel_pool, key) == other


async def test_a_command_that_loses_its_key_to_another_instance_reads_the_facts_again_and_decides_again(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    """Two stores on one database are two instances of a service. Instance A reads the facts (no first note
    under the key), then instance B records its first note before A appends: A's claim fails and A runs
    again, now recording a note that follows B's."""
    other = EventStore(kernel_pool, REGISTRY)
    await other.start()
    key = f"key-{uuid.uuid4()}"
    mine, theirs = sid(), sid()
    decisions: list[str | None] = []

    async def first_note() -> str | None:
        found: str | None = await kernel_pool.fetchval(
            "SELECT stream_id FROM events WHERE data::jsonb ->> 'text' = $1 ORDER BY position LIMIT 1", f"first {key}")
        return found

    def note(earlier: str | None) -> list[Noted]:
        return [Noted(text=f"first {key}" if earlier is None else f"after {earlier}")]

    def claim_if_first(_: object, events: Any) -> Reservations:
        return Reservations(claim=(key,) if events[0].text == f"first {key}" else ())

    async def run(on: EventStore[Noted], stream_id: str, decide: Any) -> Any:
        return await execute(on, stream_id=stream_id, stream_type="note", evolve=lambda s, e: s, initial=None,
                             decide=decide, meta=meta(), reserve=claim_if_first)

    async def decide_mine(_: object) -> list[Noted]:
        earlier = await first_note()
        decisions.append(earlier)
        if len(decisions) == 1:  # the other instance wins the race in between
            async def decide_theirs(_: object) -> list[Noted]:
                return note(await first_note())
            await run(other, theirs, decide_theirs)
        return note(earlier)

    try:
        await run(store, mine, decide_mine)
    finally:
        await other.stop()
    assert decisions == [None, theirs]
    assert [e.event.text for e in (await store.load(mine)).events] == [f"after {theirs}"]
    assert await holder_of(kernel_pool, key) == theirs


async def test_a_key_needed_free_is_checked_but_not_taken(store: EventStore[Noted], kernel_pool: asyncpg.Pool) -> None:
    key, holder, needs_it = f"key-{uuid.uuid4()}", sid(), sid()
    await store.append(await store.load(needs_it), "note", [Noted(text="free")], meta(), Reservations(free=(key,)))
    assert await holder_of(kernel_pool, key) is None
    await store.append(await store.load(holder), "note", [Noted(text="holds")], meta(), Reservations(claim=(key,)))
    with pytest.raises(ReservationTaken):
        await store.append(await store.load(needs_it), "note", [Noted(text="not free")], meta(),
                           Reservations(free=(key,)))
    assert (await store.load(needs_it)).version == 1


async def test_an_append_that_decided_on_a_stream_which_moved_on_is_stale_and_writes_nothing(
    store: EventStore[Noted]
) -> None:
    read, writes = sid(), sid()
    await store.append(await store.load(read), "note", [Noted(text="fact")], meta())
    seen = (await store.load(read)).version
    await store.append(await store.load(writes), "note", [Noted(text="on fact")], meta(),
                       Reservations(read=((read, seen),)))
    await store.append(await store.load(read), "note", [Noted(text="fact changed")], meta())
    with pytest.raises(StaleRead) as stale:
        await store.append(await store.load(writes), "note", [Noted(text="on old fact")], meta(),
                           Reservations(read=((read, seen),)))
    assert stale.value.read == read
    assert [e.event.text for e in (await store.load(writes)).events] == ["on fact"]


async def test_commands_written_in_one_batch_see_what_the_earlier_ones_changed(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    """Appends queued together are written in one transaction (group commit) and decided in queue order, each
    after the ones before it: a key released is free for the next, a version taken is gone, a read goes stale."""
    key, holder, taker, late, fact, reader = f"key-{uuid.uuid4()}", sid(), sid(), sid(), sid(), sid()
    await store.append(await store.load(holder), "note", [Noted(text="holds")], meta(), Reservations(claim=(key,)))
    await store.append(await store.load(fact), "note", [Noted(text="fact")], meta())
    at_holder, at_taker, at_late, at_fact, at_reader = [
        await store.load(s) for s in (holder, taker, late, fact, reader)]
    results = await asyncio.gather(
        store.append(at_holder, "note", [Noted(text="ends")], meta(), Reservations(release=(key,))),
        store.append(at_taker, "note", [Noted(text="takes")], meta(), Reservations(claim=(key,))),
        store.append(at_late, "note", [Noted(text="too late")], meta(), Reservations(claim=(key,))),
        store.append(at_fact, "note", [Noted(text="fact changed")], meta()),
        store.append(at_fact, "note", [Noted(text="fact changed twice")], meta()),
        store.append(at_reader, "note", [Noted(text="on old fact")], meta(),
                     Reservations(read=((fact, at_fact.version),))),
        return_exceptions=True)
    ends, takes, too_late, changed, twice, on_old = results
    assert not isinstance(ends, BaseException) and not isinstance(takes, BaseException), results
    assert isinstance(too_late, ReservationTaken) and too_late.holder == taker
    assert not isinstance(changed, BaseException) and isinstance(twice, ConcurrencyConflict)
    assert isinstance(on_old, StaleRead) and on_old.read == fact
    assert await holder_of(kernel_pool, key) == taker
    assert [e.event.text for e in (await store.load(fact)).events] == ["fact", "fact changed"]
    assert (await store.load(late)).version == 0 and (await store.load(reader)).version == 0


class OneBatchAtATime(EventStore[Noted]):
    """A store writing one batch at a time: appends handed in together are one batch, in the order handed in.
    With two in flight they are shared between two batches, whose order only the append lock decides."""

    IN_FLIGHT = 1


async def test_a_key_claimed_and_released_within_one_batch_ends_free(kernel_pool: asyncpg.Pool) -> None:
    store = OneBatchAtATime(kernel_pool, REGISTRY)
    await store.start()
    try:
        key, stream = f"key-{uuid.uuid4()}", sid()
        empty = await store.load(stream)
        claimed = store.append(empty, "note", [Noted(text="claims")], meta(), Reservations(claim=(key,)))
        # Read "after the claim" before the claim is written; its chain link is not what this test is about.
        after = type(empty)(stream_id=stream, version=1)
        released = store.append(after, "note", [Noted(text="releases")], meta(), Reservations(release=(key,)))
        await asyncio.gather(claimed, released)
        assert (await store.load(stream)).version == 2
        assert await holder_of(kernel_pool, key) is None
    finally:
        await store.stop()


async def test_a_stream_of_another_kind_is_no_record_to_a_command_and_takes_none_of_its_events(
    store: EventStore[Noted],
) -> None:
    # A record's stream id is its own id, and some ids are the client's to choose: one chosen for a record of
    # another kind reads as no record of this kind, and nothing of this kind is appended to it.
    stream_id = sid()
    await store.append(await store.load(stream_id), "memo", [Noted(text="a memo's")], meta())
    seen: list[Any] = []

    def decide(state: Any) -> list[Noted]:
        seen.append(state)
        return [Noted(text="a note's")]

    with pytest.raises(AlreadyExists, match="already used by another record"):
        await execute(store, stream_id=stream_id, stream_type="note", evolve=lambda s, e: e.text, initial="none",
                      decide=decide, meta=meta())
    assert seen == ["none"]  # decided on no record, not on the memo's events
    with pytest.raises(AlreadyExists):
        await store.append(await store.load(stream_id), "note", [Noted(text="a note's")], meta())
    loaded = await store.load(stream_id)
    assert [(e.envelope.stream_type, e.event.text) for e in loaded.events] == [("memo", "a memo's")]
    assert await verify_stream(store, stream_id) == []
