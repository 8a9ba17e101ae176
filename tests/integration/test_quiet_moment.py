"""A quiet moment of the store (``EventStore.quiet_moment``) against the real PostgreSQL: it waits for the append in
flight, every event recorded before it has committed, and every event recorded after it is stamped later. The
partner router reads its directory after one (services/partners/directory.py ``settled``)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg

from services.kernel.store import EventStore
from services.kernel.store_batches import APPEND_LOCK
from tests.e2e.conftest import eventually
from tests.integration.notes import Noted, meta, sid

BOUND = 30.0


async def _waiting_for_the_append_lock(pool: asyncpg.Pool) -> bool:
    return bool(await pool.fetchval(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))


async def test_a_quiet_moment_waits_for_the_append_in_flight_and_follows_its_stamp(
        store: EventStore[Noted], kernel_pool: asyncpg.Pool) -> None:
    stream_id = sid()
    async with kernel_pool.acquire() as holder:
        # An append in flight: the lock taken and a row stamped under it, not yet committed.
        in_flight = holder.transaction()
        await in_flight.start()
        await holder.execute(f"SELECT {APPEND_LOCK}")
        stamped = await holder.fetchval(
            "INSERT INTO events (event_id, stream_id, stream_type, version, type, data, occurred_at, actor,"
            " correlation_id, hash) VALUES ($1, $2, 'note', 1, 'gb.test.noted.v1', '{\"text\": \"x\"}', $3, 'test',"
            " 'c', '\\x00') RETURNING recorded_at", uuid.uuid4(), stream_id, datetime.now(UTC))
        moment = asyncio.create_task(store.quiet_moment())
        await eventually(lambda: _waiting_for_the_append_lock(kernel_pool), BOUND, "the quiet moment waiting")
        assert not moment.done()
        await in_flight.commit()
    quiet = await moment
    assert quiet > stamped
    # What was recorded before the moment is committed: a read begun after it sees the row.
    assert [e.envelope.recorded_at for e in (await store.load(stream_id)).events] == [stamped]
    # And what is recorded after it is stamped later.
    later = await store.append(await store.load(sid()), "note", [Noted(text="after")], meta())
    (after,) = await store.read_positions([later.last_position])
    assert after.envelope.recorded_at is not None and after.envelope.recorded_at > quiet

