"""The events the store's integration tests append: one kind of note, its registry and what a command carries."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

import asyncpg

from services.kernel.events import EventRegistry
from services.kernel.settings import Settings
from services.kernel.store import CommandMeta, EventStore
from tests.conftest import fresh_database


@dataclass(frozen=True, kw_only=True)
class Noted:
    text: str


REGISTRY: EventRegistry[Noted] = EventRegistry(source="/golden-bridge/kernel-test",
                                               events={"gb.test.noted.v1": Noted})


@dataclass(frozen=True, kw_only=True)
class Erased:
    """A note store's stand-in for membership's erasure: the wire name its personal-data trigger acts on."""

    reason: str


#: Notes and erasures: for the tests of what membership's personal_data.sql does on an erasure.
WITH_ERASURE: EventRegistry[Noted | Erased] = EventRegistry(
    source="/golden-bridge/kernel-test",
    events={"gb.test.noted.v1": Noted, "gb.membership.personal_data_erased.v1": Erased})


def meta(key: str | None = None, fingerprint: str = "f", traceparent: str | None = None) -> CommandMeta:
    return CommandMeta(actor="tester", occurred_at=datetime.now(UTC), correlation_id=str(uuid.uuid4()),
                       idempotency_key=key, fingerprint=fingerprint, traceparent=traceparent)


def sid() -> str:
    return f"note-{uuid.uuid4()}"

#: Membership's personal-data schema and erasure trigger, read as the service reads it.
PERSONAL_DATA_SQL = resources.files("services.membership").joinpath("personal_data.sql").read_text()


@asynccontextmanager
async def erasable_notes(settings: Settings, database: str) -> AsyncIterator[EventStore[Noted | Erased]]:
    """A store of notes and erasures on a fresh database ``database`` (a test installs PERSONAL_DATA_SQL on it)."""
    pool = await asyncpg.create_pool(await fresh_database(settings, database), min_size=1, max_size=4)
    store: EventStore[Noted | Erased] = EventStore(pool, WITH_ERASURE)
    await store.start()
    try:
        yield store
    finally:
        await store.stop()
        await pool.close()
