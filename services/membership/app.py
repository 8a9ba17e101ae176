"""Membership service process: wires the store and the command API inside the lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI

from services.kernel.http import BodySizeLimit, install_problem_handlers
from services.kernel.settings import load_settings
from services.kernel.store import EventStore
from services.membership import directory
from services.membership.api import router
from services.membership.deadlines import run_daily
from services.membership.events import REGISTRY

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = load_settings()
    pool = await asyncpg.create_pool(settings.dsn("membership"), min_size=2, max_size=20)
    store = EventStore(pool, REGISTRY)
    await store.start()
    await directory.install(pool)
    app.state.store = store
    stop = asyncio.Event()
    timer = asyncio.create_task(run_daily(store, stop, settings.deadline_interval_seconds), name="deadlines")
    try:
        yield
    finally:
        stop.set()
        await timer
        await store.stop()
        await pool.close()


def create_app() -> FastAPI:
    app = FastAPI(
        title="Golden Bridge — membership (internal)",
        description="Command API of the membership service. Clients use the gateway, which authenticates them.",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(BodySizeLimit)
    return app


app = create_app()
