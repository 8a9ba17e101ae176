"""Gateway process: the one public HTTP API; wires pools and clients inside the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

import asyncpg
import orjson
from fastapi import FastAPI, Request

from services import system
from services.gateway import as_of_queue, console, throttle
from services.gateway.api import (
    as_of,
    as_of_builds,
    audit,
    branches,
    development,
    dues,
    health,
    leads,
    members,
    organisations,
    partners,
    personal_data,
    policies,
    reports,
    secondments,
    summary,
    tokens,
    transfers,
    workers,
)
from services.gateway.auth import authenticate_before_the_body
from services.gateway.commands import OtherMethods, publish_commands
from services.gateway.service_client import ServiceAnswer, ServiceClient
from services.gateway.token_registry import token_registry
from services.kernel import heap, logs, metrics, pools, tracing
from services.kernel.http import BodySizeLimit, CorrelationIds, install_problem_handlers
from services.kernel.kafka import event_consumer
from services.kernel.settings import load_settings

logs.configure()
tracing.configure("gateway")

DESCRIPTION = """
The one HTTP API of **Golden Bridge** (金桥工程): outstation Party branches, mobile members and
their outflows, for department staff, branch secretaries and partner systems.

* **Authentication** — `Authorization: Bearer <token>`. In development the administrator token is
  `GB_ADMIN_TOKEN` (default `dev-admin-token`); administrators issue other tokens at `POST /v1/tokens`.
* **Commands** (POST) answer at once with the `position` of their last event. Send an
  `Idempotency-Key` header: a retry with the same key returns the first answer and writes nothing.
* **Queries** (GET) read projections that follow the events within milliseconds; pass
  `min_position=<position>` to wait until your own write is visible.
* **As it stood**: every read of the read models takes `as_of=<recorded time>` and answers what the system
  knew then, from the read models rebuilt from the events recorded by that time (202 and a progress
  resource while they are rebuilt); `GB-Log-Positions` states the store positions the answer reflects.
* **Errors** are `application/problem+json` (RFC 9457); `detail` says what to fix. A query parameter an
  operation does not take is refused (422, naming the ones it takes), never ignored: a misspelt filter would
  otherwise answer with every record you may see. So is one given twice: no parameter takes a list.
"""


class TracedServiceClient(ServiceClient):
    """A service's client whose every call is a CLIENT span whose context goes with it (``traceparent``), so the
    service's spans join the gateway's trace; the same client, untouched, when traces are not exported."""

    def __init__(self, service: str, base_url: str) -> None:
        super().__init__(base_url)
        self.service = service

    async def request(self, method: str, path: str, query: str = "", *, content: bytes = b"",
                      headers: Mapping[str, str] | None = None, timeout: float | None = None,
                      authorize: Callable[[], str] | None = None) -> ServiceAnswer:
        if not tracing.enabled():
            return await super().request(method, path, query, content=content, headers=headers, timeout=timeout,
                                         authorize=authorize)
        sent = dict(headers or {})
        # Named by service, not path: a path holds record ids, and span names are grouped by.
        with tracing.calling(f"{method} {self.service}", sent, **{"server.address": self.service}):
            return await super().request(method, path, query, content=content, headers=sent, timeout=timeout,
                                         authorize=authorize)


async def _scrape(request: Request) -> None:
    """Before each scrape of /metrics: the projection lag per partition, read now (checkpoints and end offsets)."""
    await metrics.refresh_projection_lag(request.app.state.read_pool, request.app.state.kafka, system.topics())


async def _init_read_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads,
                              schema="pg_catalog")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = load_settings()
    app.state.settings = settings
    app.state.read_pool = await pools.create_pool(settings.dsn(system.READ_MODEL_DATABASE), min_size=2, max_size=20,
                                                  init=_init_read_connection)
    async with app.state.read_pool.acquire() as conn:
        await as_of_queue.install_control(conn)
    app.state.as_of_pools = as_of.SchemaPools(settings.dsn(system.READ_MODEL_DATABASE), init=_init_read_connection)
    app.state.services = {service.name: TracedServiceClient(service.name, service.base_url(settings))
                          for service in system.SERVICES}
    app.state.kafka = event_consumer(settings, "gb-gateway-health")
    await app.state.kafka.start()
    heap.settle()
    try:
        async with token_registry(settings.dsn(system.READ_MODEL_DATABASE)) as app.state.tokens:
            yield
    finally:
        await app.state.kafka.stop()
        for client in app.state.services.values():
            await client.aclose()
        await app.state.as_of_pools.close()
        await app.state.read_pool.close()


def create_app() -> FastAPI:
    # /docs and /redoc come from the console with their Swagger UI and Redoc files served locally, never a CDN.
    app = FastAPI(title="Golden Bridge API", version="1.0.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None, telemetry=tracing.FASTAPI_TELEMETRY)
    install_problem_handlers(app)
    throttle.install(app)
    authenticate_before_the_body(app)
    as_of.install(app)
    publish_commands(app.router, system.SERVICES)
    for module in (branches, members, personal_data, transfers, development, dues, organisations, reports, audit,
                   tokens, health, as_of_builds, summary):
        app.include_router(module.router)
    app.include_router(secondments.router)
    app.include_router(leads.router)
    app.include_router(partners.router)
    app.include_router(policies.router)
    app.include_router(workers.router)
    console.install(app)
    app.add_middleware(BodySizeLimit)
    metrics.install(app, refresh=_scrape)  # GET /metrics (no token: services/kernel/metrics.py says why)
    app.router.routes.append(OtherMethods(app.router))  # after every route: what none of them took
    # Outermost: every answer, a 413 or a 429 included, carries the request's correlation id.
    app.add_middleware(CorrelationIds)
    return app


app = create_app()
