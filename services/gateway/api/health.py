"""Liveness and readiness: PostgreSQL, Kafka, the services, every supervised process, how far the read models
lag behind, and whether the demo data is loaded."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services import system
from services.gateway.api.access import public
from services.gateway.commands import call_service
from services.gateway.readmodels.waiting import ping
from services.kernel import supervision
from services.kernel.projection import lag
from services.kernel.settings import Settings
from services.pure.identity import Actor, Role

router = APIRouter(tags=["health"])

#: Events not yet projected above which the gateway reports itself not ready.
MAX_READY_LAG = 10_000
#: The probe asks the partners service for delivery health as the county (the answer is summarised: no
#: partner's name or figures are shown to an unauthenticated caller).
_PROBE = Actor(subject="readyz", role=Role.COUNTY_ADMIN)
#: The longest the readiness probe waits for the partners' delivery figures: a full suite's worth of partners once
#: made /readyz take over 30 s, past any orchestrator's probe timeout.
PARTNER_DELIVERY_SECONDS = 3.0


@public(router, "/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, Any] = Field(description="Each dependency: ok, or why not; and the projection lag in events.")


@public(router, "/readyz", response_model=Readiness, responses={503: {
    "description": "A dependency is down or the read models lag",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}},
    "headers": {"Retry-After": {"description": "Seconds to wait before asking again", "schema": {"type": "integer"}}},
}})
async def readyz(request: Request) -> JSONResponse:
    """Ready when PostgreSQL, Kafka and every service answer, every process the runner supervises runs (relays,
    policy processors and the projector included), the read models lag by at most 10,000 events and no demo
    data is still loading."""
    checks: dict[str, Any] = {}
    ok = True
    settings: Settings = request.app.state.settings
    processes, processes_ok = supervised_processes(settings)
    checks["processes"] = processes
    ok = ok and processes_ok
    demo = supervision.read_demo_state(settings)
    if demo is not None:
        checks["demo"] = demo
        ok = ok and demo != "loading"
    pool = request.app.state.read_pool
    try:
        await ping(pool)
        checks["postgresql"] = "ok"
    except Exception as exc:
        checks["postgresql"] = f"failed: {exc}"
        ok = False
    consumer = request.app.state.kafka
    try:
        await consumer._client.force_metadata_update()
        checks["kafka"] = "ok"
        behind = await lag(pool, consumer, system.topics())
        checks["projection_lag_events"] = behind
        if behind > MAX_READY_LAG:
            ok = False
    except Exception as exc:
        checks["kafka"] = f"failed: {exc}"
        ok = False
    try:  # informative, and a probe answers in seconds whatever the partners' side costs
        checks["partner_delivery"] = await asyncio.wait_for(partner_delivery(request), PARTNER_DELIVERY_SECONDS)
    except TimeoutError:
        checks["partner_delivery"] = (f"not measured within {PARTNER_DELIVERY_SECONDS:.0f} s "
                                      "(GET /v1/partner-health has it per partner)")
    for service, client in request.app.state.services.items():
        instances = {url: _instance_check(answer) for url, answer in (await client.get_each("/readyz", 2.0)).items()}
        # One instance: its check as it always was; several: each instance's, by its URL.
        checks[service] = next(iter(instances.values())) if len(instances) == 1 else instances
        ok = ok and all(check == "ok" for check in instances.values())
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503,
                        headers=None if ok else {"Retry-After": "5"})


def _instance_check(answer: Any) -> str:
    if isinstance(answer, Exception):
        return f"failed: {answer.__class__.__name__}"
    return "ok" if answer.status_code == 200 else f"answered {answer.status_code}"


def supervised_processes(settings: Settings) -> tuple[dict[str, str] | str, bool]:
    """Each process of the local runner's supervisor's table (services/kernel/supervision.py) and whether all
    run. Without a table nothing supervises this system here (docker compose, the test harness): said, and not
    held against readiness. A stale table means the supervisor itself is gone: not ready, nothing restarts."""
    table = supervision.read_table(settings)
    if table is None:
        return "not supervised by the local runner (no process table)", True
    if not table.is_fresh():
        return f"the supervisor (pid {table.supervisor_pid}) stopped publishing: nothing restarts a crash", False
    if table.phase != "running":
        return f"the supervisor is {table.phase}", False
    return {row.name: supervision.describe(row) for row in table.processes}, not table.down()


async def partner_delivery(request: Request) -> dict[str, Any] | str:
    """How far partners' feeds are behind, in sum: their Kafka consumer lag, the webhooks' backlog and the
    paused webhooks. Per partner: GET /v1/partner-health (county). Informative: it never fails readiness —
    a partner's own consumer lagging is not this system's fault."""
    try:
        answer = await call_service(request, "partners", _PROBE, "GET", "/partners-health")
    except Exception as exc:  # any failure is reported, never raised from a probe
        return f"failed: {exc.__class__.__name__}"
    if answer.status_code != 200:
        return f"answered {answer.status_code}"
    partners = answer.json()["partners"].values()
    hooks = [h for p in partners for h in p["webhooks"].values()]
    return {"partners": len(partners),
            "kafka_lag_events": sum(sum(p["kafka_lag"].values()) for p in partners),
            "webhook_backlog_events": sum(h["backlog"] for h in hooks),
            "paused_webhooks": sum(1 for h in hooks if h["state"] == "paused")}
