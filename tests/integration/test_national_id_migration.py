"""A membership store of an earlier version: its national_id_index claims move into reservations once.

The claims of recorded persons become their ``national-id:`` keys; a claim left by a refused registration (no
record) is dropped, as the old code would have taken it over; the old name remains a view of the keys, and
an erasure releases the person's key in its own append. The SQL is membership's own (personal_data.sql),
read as the service reads it; the store is the kernel's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from services.kernel.settings import Settings
from services.kernel.store import CommandMeta, EventStore
from tests.integration.notes import PERSONAL_DATA_SQL, Erased, Noted, erasable_notes

RECORDED, REFUSED = bytes.fromhex("aa" * 32), bytes.fromhex("bb" * 32)



def meta() -> CommandMeta:
    return CommandMeta(actor="tester", occurred_at=datetime.now(UTC), correlation_id="c", idempotency_key=None,
                       fingerprint="f")


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[EventStore[Noted | Erased]]:
    async with erasable_notes(settings, "national_id_migration") as notes:
        yield notes


async def test_claims_of_recorded_persons_become_their_keys_and_erasure_releases_them(
    store: EventStore[Noted | Erased],
) -> None:
    pool = store.pool
    await store.append(await store.load("person-1"), "member", [Noted(text="registered")], meta())
    await pool.execute("CREATE TABLE national_id_index (id_hash bytea PRIMARY KEY, person_id text NOT NULL)")
    await pool.execute("INSERT INTO national_id_index VALUES ($1, 'person-1'), ($2, 'never-recorded')",
                       RECORDED, REFUSED)

    await pool.execute(PERSONAL_DATA_SQL)
    await pool.execute(PERSONAL_DATA_SQL)  # every start runs it; the move happens once

    keys = await pool.fetch("SELECT key, holder FROM reservations ORDER BY key")
    assert [(r["key"], r["holder"]) for r in keys] == [("national-id:" + "aa" * 32, "person-1")]
    index = await pool.fetch("SELECT id_hash, person_id FROM national_id_index")
    assert [(bytes(r["id_hash"]), r["person_id"]) for r in index] == [(RECORDED, "person-1")]

    await store.append(await store.load("person-1"), "member", [Erased(reason="PIPL")], meta())
    assert await pool.fetchval("SELECT count(*) FROM reservations") == 0
    assert await pool.fetchval("SELECT count(*) FROM national_id_index") == 0
