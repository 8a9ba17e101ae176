"""Commands written together in one batch are each answered as if alone (gb_append_batch,
services/kernel/store_schema.sql), against the real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from services.kernel.audit import verify_stream
from services.kernel.store import AppendResult, EventStore
from services.pure.errors import ConcurrencyConflict
from tests.integration.notes import Noted, meta, sid


async def test_independent_commands_written_together_are_each_answered_as_alone(
    store: EventStore[Noted], kernel_pool: asyncpg.Pool
) -> None:
    """Commands on distinct streams with distinct keys and no reservations, written in one batch: a stale version,
    a used key and a new key are still each answered as on their own."""
    fresh, stale_stream, keyed, again = sid(), sid(), sid(), sid()
    used, new_key = f"k-{uuid.uuid4()}", f"k-{uuid.uuid4()}"
    first = await store.append(await store.load(sid()), "note", [Noted(text="first")], meta(used))
    stale = await store.load(stale_stream)
    await store.append(stale, "note", [Noted(text="meanwhile")], meta())
    at = [await store.load(s) for s in (fresh, keyed, again)]
    results = await asyncio.gather(
        store.append(at[0], "note", [Noted(text="a"), Noted(text="b")], meta()),
        store.append(stale, "note", [Noted(text="late")], meta()),
        store.append(at[1], "note", [Noted(text="keyed")], meta(new_key)),
        store.append(at[2], "note", [Noted(text="retried")], meta(used)),
        return_exceptions=True)
    done, late, keyed_result, replayed = results
    assert not isinstance(done, BaseException) and done.stream_version == 2
    assert done.last_position - done.first_position == 1
    assert isinstance(late, ConcurrencyConflict)
    assert not isinstance(keyed_result, BaseException)
    assert await store.lookup_idempotency(new_key, "f") == AppendResult(
        stream_id=keyed, stream_version=1, first_position=keyed_result.first_position,
        last_position=keyed_result.last_position, replayed=True)
    assert replayed == AppendResult(stream_id=first.stream_id, stream_version=1, first_position=first.first_position,
                                    last_position=first.last_position, replayed=True)
    assert [e.event.text for e in (await store.load(fresh)).events] == ["a", "b"]
    assert [e.event.text for e in (await store.load(stale_stream)).events] == ["meanwhile"]
    assert (await store.load(again)).version == 0
    assert await verify_stream(store, fresh) == []
    outbox = await kernel_pool.fetchval("SELECT count(*) FROM outbox WHERE id BETWEEN $1 AND $2",
                                        done.first_position, done.last_position)
    assert outbox == 2
