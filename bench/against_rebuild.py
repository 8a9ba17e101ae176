"""The live read models against a rebuild of every event on Kafka: the tables, the rows only one side has, and the
moment the two may be compared at.

A rebuild reads Kafka up to the end it finds when it starts; the live views are read after it ends. An event
appended between the two — the audit log signs a tree head up to two seconds after the last event it logged, a
reaction or a sweep appends on its own — is then in one side and not the other, and the difference proves nothing.
So a comparison is made only when every store's events are all in the live read models, and counts only if the
stores held the same events before the rebuild and after the live read (``stored_and_applied`` both times).
Used by the fault suite (bench/faults.py) and tests/e2e/test_rebuild_read_models.py.
"""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg

from services import system

#: The runner's own bookkeeping (offsets, dead letters, when the schema was built) is not a read model.
SKIPPED_TABLES = frozenset({"projection_checkpoints", "dead_letters", "projection_schema"})

Rows = list[tuple[object, ...]]


async def tables(db: asyncpg.Connection | asyncpg.Pool, schema: str) -> dict[str, Rows]:
    """Every read-model table of ``schema``, its rows sorted (by ``repr``: a row may hold an array)."""
    names = [r["table_name"] for r in await db.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
        schema)]
    return {name: sorted((tuple(r) for r in await db.fetch(f'SELECT * FROM "{schema}"."{name}"')), key=repr)
            for name in sorted(set(names) - SKIPPED_TABLES)}


def difference(live: Rows, rebuilt: Rows, show: int = 20) -> str:
    """The rows of one table only one side has (a few of each), compared by ``repr``. What a failure needs, so
    computed only on one."""
    seen_live, seen_rebuilt = {repr(row) for row in live}, {repr(row) for row in rebuilt}
    return (f"only live ({len(seen_live - seen_rebuilt)}) {sorted(seen_live - seen_rebuilt)[:show]}, "
            f"only rebuilt ({len(seen_rebuilt - seen_live)}) {sorted(seen_rebuilt - seen_live)[:show]}")


async def stored_and_applied(
    stores: Mapping[str, asyncpg.Connection | asyncpg.Pool], read: asyncpg.Connection | asyncpg.Pool,
) -> dict[str, int] | None:
    """Each store's count of events once every one is published and in the live read models, else None."""
    counts = {}
    for service, store in stores.items():
        if await store.fetchval("SELECT count(*) FROM outbox"):
            return None
        stored = await store.fetchval("SELECT count(*) FROM events")
        applied = await read.fetchval("SELECT count(*) FROM applied_events WHERE source = $1",
                                      system.service(service).registry.source)
        if applied != stored:
            return None
        counts[service] = stored
    return counts
