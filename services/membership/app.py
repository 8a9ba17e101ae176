"""Membership service process: the store, the command API of its route rows, the member directory and the
deadline timer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from services.kernel.service_app import create_service_app
from services.kernel.settings import Settings
from services.kernel.store import EventStore
from services.membership import directory
from services.membership.contract.service import SERVICE
from services.membership.deadlines import run_daily


@asynccontextmanager
async def _deadline_timer(store: EventStore[Any], settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    timer = asyncio.create_task(run_daily(store, stop, settings.deadline_interval_seconds), name="deadlines")
    try:
        yield
    finally:
        stop.set()
        await timer


app = create_service_app(SERVICE, on_start=directory.install, extras=_deadline_timer)
