"""Membership service process: the store, the command API of its route rows, the member directory, the
personal-data keys with their one read in clear, the deadline timer, and the dues that follow a transfer (or close
when the membership ends)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from services.kernel.service_app import create_service_app
from services.kernel.settings import Settings
from services.kernel.store import EventStore
from services.membership import directory, dues_reactions, event_indexes, personal_query, vault
from services.membership.contract.service import SERVICE
from services.membership.deadlines import run_daily


@asynccontextmanager
async def _background(store: EventStore[Any], settings: Settings) -> AsyncIterator[None]:
    """The deadline timer, and the sweeps that move dues accounts after received transfers and close them when the
    membership ends."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(run_daily(store, stop, settings.deadline_interval_seconds), name="deadlines"),
             asyncio.create_task(dues_reactions.run_sweeps(store, stop), name="dues-reactions")]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def _install(pool: asyncpg.Pool) -> None:
    # The key table first: without a usable GB_MEMBERSHIP_MASTER_KEY the service refuses to start.
    await vault.install(pool)
    await directory.install(pool)
    await event_indexes.install(pool)
    await dues_reactions.install(pool)


app = create_service_app(SERVICE, on_start=_install, extras=_background)
# The one read of personal data in clear (the gateway forwards GET /v1/members/{id}/personal-data).
app.include_router(personal_query.router)
