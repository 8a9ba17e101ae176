"""Fixtures of the integration tests: an event store of notes (tests/integration/notes.py) on the kernel test
database, started and stopped once per module."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
