"""The process of an event-sourced service: its store, its command API and its background tasks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from services.kernel import heap, logs, metrics, pools, supervision, tracing
from services.kernel.command_api import CommandApi
from services.kernel.credential import CredentialCheck, CredentialLedger
from services.kernel.http import BodySizeLimit, CorrelationIds, install_problem_handlers
from services.kernel.service import ServiceDefinition
from services.kernel.settings import Settings, load_settings
from services.kernel.store import EventStore

log = logging.getLogger(__name__)

#: Extra work a service runs beside its API while it lives (a deadline timer, a directory install).
Extras = Callable[[EventStore[Any], Settings], AbstractAsyncContextManager[None]]


def create_service_app(
    service: ServiceDefinition, *, extras: Extras | None = None,
    on_start: Callable[[asyncpg.Pool], Awaitable[None]] | None = None,
) -> FastAPI:
    """A FastAPI app serving the service's command routes on its own store (database gb_<service>).

    ``on_start`` prepares the database once the store's schema is there (indexes, directories);
    ``extras`` runs beside the API while it lives (timers)."""
    logs.configure()
    tracing.configure(service.name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = load_settings()
        app.state.settings = settings
        # Only calls the gateway signed for this service are served (services/kernel/credential.py).
        app.state.credentials = CredentialCheck(secret=settings.internal_secret, audience=service.name)
        pool = await pools.create_pool(settings.dsn(service.database), min_size=2, max_size=20)
        store: EventStore[Any] = EventStore(pool, service.registry)
        await store.start()
        app.state.store = store
        # Each credential's id goes into the store before its call is served: a replay is refused by every instance.
        app.state.credential_ledger = CredentialLedger(pool)
        if on_start is not None:
            await on_start(pool)
        heap.settle()
        try:
            if extras is None:
                yield
            else:
                async with extras(store, settings):
                    yield
        finally:
            await app.state.credential_ledger.aclose()
            await store.stop()
            await pool.close()

    app = FastAPI(
        title=f"Golden Bridge — {service.name} (internal)",
        description=f"Command API of the {service.name} service. Clients use the gateway, which authenticates them "
                    "and signs each call it forwards; any other caller gets 401.",
        lifespan=lifespan,
        telemetry=tracing.FASTAPI_TELEMETRY,
    )
    # The service's scope rule, applied to every command before its handler (ServiceDefinition.authorize).
    app.state.authorize = service.authorize
    install_problem_handlers(app)
    CommandApi.serving(service.routes, service=service.name, router=app.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        """Ready when its own database answers and, where the local runner supervises the system, its relay runs
        (services/kernel/supervision.py); the gateway's /readyz asks every service this."""
        checks: dict[str, str] = {}
        try:
            await app.state.store.pool.fetchval("SELECT 1")
            checks["database"] = "ok"
        except Exception as exc:  # a probe reports, never raises
            log.warning("readiness: the %s database does not answer (%s)", service.name, exc.__class__.__name__)
            checks["database"] = exc.__class__.__name__
        table = supervision.read_table(app.state.settings)
        rows = table.processes if table is not None and table.is_fresh() else ()  # stale: the gateway says so
        relay = next((r for r in rows if r.name == f"{service.name}-relay"), None)
        if relay is not None:
            checks["relay"] = supervision.describe(relay)
        ok = checks["database"] == "ok" and checks.get("relay", "running") == "running"
        return JSONResponse({"status": "ready" if ok else "not ready", **checks}, status_code=200 if ok else 503,
                            headers=None if ok else {"Retry-After": "5"})

    app.add_middleware(BodySizeLimit)
    metrics.install(app)  # GET /metrics, and every request counted by its route template
    # Outermost: every answer, a 413 or a 500 included, carries the request's correlation id.
    app.add_middleware(CorrelationIds)
    return app
