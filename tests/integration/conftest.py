"""Fixtures of the integration tests: an event store of notes (tests/integration/notes.py) on the kernel test
database, started and stopped once per module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from services.kernel.store import EventStore
from tests.integration.notes import REGISTRY, Noted


@pytest.fixture(scope="module")
async def store(kernel_pool: asyncpg.Pool) -> AsyncIterator[EventStore[Noted]]:
    s = EventStore(kernel_pool, REGISTRY)
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
def loads(store: EventStore[Noted], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stream ids the store loads from now on, in order (the real load runs)."""
    seen: list[str] = []
    real_load = store.load

    async def counted(stream_id: str, **options: Any) -> Any:
        seen.append(stream_id)
        return await real_load(stream_id, **options)

    monkeypatch.setattr(store, "load", counted)
    return seen
