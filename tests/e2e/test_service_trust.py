"""The services trust only the gateway: a direct call to a service port needs the gateway's credential
for that service and that very request; forged identity headers get 401."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from services import system
from services.kernel.credential import sign
from services.kernel.settings import Settings
from services.pure.identity import Actor, Role
from tests.e2e.conftest import assert_refused, branch_body

COUNTY = Actor(subject="county-clerk", role=Role.COUNTY_ADMIN)
FORGED = {"X-GB-Actor": "mallory", "X-GB-Role": "county_admin"}


@pytest.fixture
async def membership(system: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the membership service's own port, past the gateway."""
    async with httpx.AsyncClient(base_url=system_service_url(system, "membership"), timeout=30.0) as client:
        yield client


def system_service_url(settings: Settings, name: str) -> str:
    return system.service(name).base_url(settings)


def credential(settings: Settings, *, secret: str | None = None, audience: str = "membership",
               target: str = "/branches", body: bytes = b"", method: str = "POST", **options: Any) -> dict[str, str]:
    token = sign(secret or settings.internal_secret, audience=audience, actor=COUNTY, method=method,
                 request_target=target, body=body, **options)
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


async def test_forged_identity_headers_at_a_service_port_get_401(
    membership: httpx.AsyncClient, membership_db: asyncpg.Pool, admin_headers: dict[str, str],
    gateway: httpx.AsyncClient,
) -> None:
    problem = await assert_refused(membership, membership_db, "/branches", 401, headers=FORGED, json=branch_body())
    assert "gateway" in problem["detail"]
    audit = await membership.get("/audit/streams/anything", headers=FORGED)
    assert audit.status_code == 401 and audit.headers["content-type"] == "application/problem+json"
    # The same command through the gateway is served.
    through = await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)
    assert through.status_code == 201, through.text


async def test_a_credential_not_made_for_this_request_by_the_gateway_gets_401(
    system: Settings, membership: httpx.AsyncClient, membership_db: asyncpg.Pool,
) -> None:
    body = orjson.dumps(branch_body())
    other_body = orjson.dumps(branch_body())
    wrong: dict[str, dict[str, str]] = {
        "signed with another secret": credential(system, secret="another-secret-" + "x" * 40, body=body),
        "for another service": credential(system, audience="investment", body=body),
        "expired": credential(system, body=body, now=time.time() - 300),
        "for another path": credential(system, target="/organisations", body=body),
        "for another body": credential(system, body=other_body),
        "for another method": credential(system, method="PUT", body=body),
    }
    for why, headers in wrong.items():
        problem = await assert_refused(membership, membership_db, "/branches", 401, headers={**headers, **FORGED},
                                       content=body)
        assert problem["detail"], why


async def test_a_credential_for_exactly_this_request_is_served_once(
    system: Settings, membership: httpx.AsyncClient, membership_db: asyncpg.Pool,
) -> None:
    body = orjson.dumps(branch_body())
    headers = credential(system, body=body)
    first = await membership.post("/branches", content=body, headers=headers)
    assert first.status_code == 201, first.text
    # Replayed unchanged, even within its life, it is refused: nothing is written twice.
    await assert_refused(membership, membership_db, "/branches", 401, headers=headers, content=body)


async def test_the_audit_read_through_the_gateway_is_signed_for_its_query(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    history = await gateway.get(f"/v1/audit/streams/{branch}", params={"up_to_version": 1}, headers=admin_headers)
    assert history.status_code == 200, history.text
    assert history.json()["verified"] is True and history.json()["version"] == 1
