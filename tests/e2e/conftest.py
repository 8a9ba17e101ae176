"""The whole system as separate processes on the real Kafka and PostgreSQL started by `./gb test`."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import random
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import date, timedelta
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest

from infra import secrets, supervisor
from infra.processes import app_processes
from services import system as composition
from services.gateway.auth import issue_token
from services.kernel.settings import Settings
from services.pure.identity import Actor, Role

T = TypeVar("T")


@pytest.fixture(scope="session")
def system(settings: Settings) -> Iterator[Settings]:
    """Start membership, its relay, the projector and the gateway; stop them after the session."""
    started = []
    try:
        for process in app_processes(settings):
            supervisor.start_app(process, settings)
            started.append(process.name)
        yield settings
    finally:
        for name in reversed(started):
            supervisor.stop_app(settings, name)


@pytest.fixture(scope="session")
async def gateway(system: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{system.gateway_port}", timeout=30.0) as client:
        yield client


@pytest.fixture(scope="session")
def admin_headers(system: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {system.admin_token}"}


def bearer(settings: Settings, role: Role, org_id: str | None = None, subject: str | None = None) -> dict[str, str]:
    """A signed token's header; ``subject`` names the caller (a member's or cadre's own id), else a fresh one."""
    subject = subject or f"user-{uuid.uuid4().hex[:8]}"
    token = issue_token(settings, Actor(subject=subject, role=role, org_id=org_id))
    return {"Authorization": f"Bearer {token}"}


def _store_pool(database: str, name: str) -> Any:
    """A session fixture ``name``: a small pool on the system's ``database``, to check what a command wrote."""

    @pytest.fixture(scope="session", name=name)
    async def pool(system: Settings) -> AsyncIterator[asyncpg.Pool]:
        opened = await asyncpg.create_pool(system.dsn(database), min_size=1, max_size=4)
        yield opened
        await opened.close()

    return pool


membership_db = _store_pool("membership", "membership_db")
secondment_db = _store_pool("secondment", "secondment_db")
investment_db = _store_pool("investment", "investment_db")
workers_db = _store_pool("workers", "workers_db")
partners_db = _store_pool("partners", "partners_db")
#: The gateway's database: its read models and token store.
read_db = _store_pool("gateway", "read_db")


async def a_township(gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> tuple[str, str]:
    """A county committee of its own and a township committee recorded under it: (county, township)."""
    run = uuid.uuid4().hex[:8]
    county, township = f"county-{run}", f"township-{run}"
    for body in ({"org_id": county, "name": f"County {run}", "kind": "county_committee", "parent_id": None,
                  "approval_authority": True, "established_on": "2026-01-01"},
                 {"org_id": township, "name": f"Township {run}", "kind": "township_committee", "parent_id": county,
                  "approval_authority": True, "established_on": "2026-01-05"}):
        answer = await gateway.post("/v1/organisations", json=body, headers=admin_headers)
        assert answer.status_code == 201, answer.text
    return county, township


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 30.0, what: str = "condition",
                     every: float = 0.05) -> T:
    """Poll ``check`` every ``every`` seconds until it returns a truthy value; fail with ``what`` after ``timeout``
    seconds. A check that costs the system something (a Kafka consumer, a group's offsets) polls less often."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(every)
    pytest.fail(f"{what} did not happen within {timeout} s (last value: {last!r})")


def rebuilt_schema(system: Settings) -> str:
    """Every read model projected again from offset 0 by the projector's own command line (``--rebuild``), into a
    fresh schema; that schema's name (the caller drops it)."""
    schema = f"rebuild_{uuid.uuid4().hex[:8]}"
    rebuild = subprocess.run(
        [sys.executable, "-m", "services.gateway.projector", "--rebuild", "--schema", schema],
        env=supervisor.child_env(system), capture_output=True, text=True, timeout=600,
    )
    assert rebuild.returncode == 0, rebuild.stderr[-2000:]
    return schema


def branch_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": f"Shenzhen Branch {uuid.uuid4().hex[:6]}",
        "founding_basis": "locality",
        "build_mode": "standalone",
        "home_org_id": "township-test",
        "host_guidance_org": "Longhua street Party committee",
        "destination": "Shenzhen, Guangdong",
        "industry": "construction",
        "established_on": "2026-03-01",
    }
    body.update(overrides)
    return body


def member_body(branch_id: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Li Wei",
        "national_id": national_id(),
        "formal_org_id": branch_id,
        "status": "full",
        "dues_category": "wage_earner",
        "contact": {"phone": "+86 138 0000 0000"},
    }
    body.update(overrides)
    return body


def outflow_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "destination": "Dongguan, Guangdong",
        "employer": "Xin Da Electronics",
        "contact": {"phone": "+86 139 0000 0000"},
        "left_on": "2026-10-01",
        "expected_months": 8,
    }
    body.update(overrides)
    return body


_NEXT_ID = itertools.count(random.randrange(0, 10_000_000))


def national_id(*_: object) -> str:
    """A valid, never-repeated 18-character resident ID (GB 11643 check digit).

    One person, one member record: every registration in a test needs an ID of its own.
    """
    n = next(_NEXT_ID)
    born = date(1960, 1, 1) + timedelta(days=(n // 1000) % 14_600)
    body = f"440305{born:%Y%m%d}{n % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


async def assert_refused(gateway: httpx.AsyncClient, db: asyncpg.Pool, path: str, status: int, *,
                         headers: dict[str, str], **request: Any) -> dict[str, Any]:
    """POST, expect a ``status`` problem+json that says what is wrong, and check that nothing was written."""
    before = await db.fetchval("SELECT count(*) FROM events")
    response = await gateway.post(path, headers=headers, **request)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["detail"] and problem["title"]
    assert await db.fetchval("SELECT count(*) FROM events") == before, "a refused command wrote events"
    return dict(problem)


def second_system_settings(settings: Settings, suffix: str, port_offset: int, pg_beside_kafka: int,
                           **overrides: Any) -> Settings:
    """A system of its own beside the session's (the supervised one, the cluster): its data folder
    ``<session folder>-<suffix>``, every port ``port_offset`` away, its PostgreSQL ``pg_beside_kafka`` ports after
    its Kafka, and its own credentials, made on its first start."""
    s = dataclasses.replace(
        settings,
        data_dir=settings.data_dir.with_name(f"{settings.data_dir.name}-{suffix}"),
        pg_port=settings.kafka_port + port_offset + pg_beside_kafka,
        kafka_port=settings.kafka_port + port_offset,
        kafka_controller_port=settings.kafka_controller_port + port_offset,
        gateway_port=settings.gateway_port + port_offset,
        service_ports={name: settings.service_port(name, port) + port_offset
                       for name, port in composition.default_ports().items()},
        service_urls={}, kafka_username="", kafka_password="", pg_password="",
        **overrides,
    )
    return secrets.local_settings(s)
