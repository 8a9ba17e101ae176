"""Tokens carry an expiry and an id; the county reads who issued and revoked which; revoked tokens and
repeated bad tokens are refused."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer


async def issued(gateway: httpx.AsyncClient, admin_headers: dict[str, str], branch: str) -> dict[str, str]:
    response = await gateway.post("/v1/tokens", headers=admin_headers, json={
        "subject": f"secretary-{uuid.uuid4().hex[:8]}", "role": "branch_secretary", "org_id": branch, "days": 7})
    assert response.status_code == 201, response.text
    token: dict[str, str] = response.json()
    assert token["token_id"] and token["expires_at"]
    return token


async def test_a_revoked_token_is_refused_and_the_county_reads_its_issuance_and_revocation(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], read_db: asyncpg.Pool,
) -> None:
    branch = f"branch-{uuid.uuid4().hex[:8]}"
    token = await issued(gateway, admin_headers, branch)
    holder = {"Authorization": f"Bearer {token['token']}"}
    assert (await gateway.get("/v1/development/cases", headers=holder)).status_code == 200

    revoked = await gateway.post(f"/v1/tokens/{token['token_id']}/revocation", headers=admin_headers,
                                 json={"reason": "the secretary left the post"})
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_by"] == "county_admin:dev-admin" and revoked.json()["revoked_at"]

    refused = await gateway.get("/v1/development/cases", headers=holder)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    again = await gateway.post(f"/v1/tokens/{token['token_id']}/revocation", headers=admin_headers)
    assert again.status_code == 409, again.text
    unknown = await gateway.post(f"/v1/tokens/{uuid.uuid4().hex}/revocation", headers=admin_headers)
    assert unknown.status_code == 404, unknown.text

    record = (await gateway.get(f"/v1/tokens/{token['token_id']}", headers=admin_headers)).json()
    assert record["subject"] == token["subject"] and record["org_id"] == branch
    assert record["issued_by"] == "county_admin:dev-admin" and record["reason"] == "the secretary left the post"

    kinds = []
    cursor = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = (await gateway.get("/v1/tokens", params=params, headers=admin_headers)).json()
        kinds += [e["kind"] for e in page["items"] if e["token_id"] == token["token_id"]]
        if not (cursor := page["next_cursor"]):
            break
    assert kinds == ["issued", "revoked"]

    # Only the token's id is recorded, never the token.
    stored = await read_db.fetchval("SELECT string_agg(data::text, ' ') FROM access.events")
    assert token["token_id"] in stored and token["token"] not in stored


async def test_a_phone_as_a_tokens_subject_or_revocation_reason_is_refused_and_nothing_is_recorded(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], read_db: asyncpg.Pool,
) -> None:
    # The subject is the actor label of every event the token causes, in clear; a reason is recorded in clear.
    before = await read_db.fetchval("SELECT count(*) FROM access.events")
    refused = await gateway.post("/v1/tokens", headers=admin_headers, json={
        "subject": "13812345678", "role": "branch_secretary", "org_id": "branch-x", "days": 7})
    assert refused.status_code == 422, refused.text
    assert "subject holds what looks like a phone number" in refused.text and "13812345678" not in refused.text
    # The organisation is in every label too (role:subject@org): an id, never a phone.
    refused = await gateway.post("/v1/tokens", headers=admin_headers, json={
        "subject": "clerk", "role": "branch_secretary", "org_id": "138-1234-5678", "days": 7})
    assert refused.status_code == 422, refused.text
    assert "phone number" in refused.text and "138-1234-5678" not in refused.text
    token = await issued(gateway, admin_headers, f"branch-{uuid.uuid4().hex[:8]}")
    refused = await gateway.post(f"/v1/tokens/{token['token_id']}/revocation", headers=admin_headers,
                                 json={"reason": "持有人 138 1234 5678 离职"})
    assert refused.status_code == 422, refused.text
    assert await read_db.fetchval("SELECT count(*) FROM access.events") == before + 1  # the issuance alone
    holder = {"Authorization": f"Bearer {token['token']}"}
    assert (await gateway.get("/v1/development/cases", headers=holder)).status_code == 200


async def test_only_the_county_issues_lists_and_revokes_tokens(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    token = await issued(gateway, admin_headers, f"branch-{uuid.uuid4().hex[:8]}")
    for role, org in ((Role.BRANCH_SECRETARY, "branch-x"), (Role.TOWNSHIP_COMMITTEE, "township-x"),
                      (Role.MEMBER, None)):
        headers = bearer(system, role, org)
        assert (await gateway.get("/v1/tokens", headers=headers)).status_code == 403
        assert (await gateway.get(f"/v1/tokens/{token['token_id']}", headers=headers)).status_code == 403
        refused = await gateway.post(f"/v1/tokens/{token['token_id']}/revocation", headers=headers)
        assert refused.status_code == 403, refused.text
    still = {"Authorization": f"Bearer {token['token']}"}
    assert (await gateway.get("/v1/development/cases", headers=still)).status_code == 200


@pytest.fixture
async def one_client(system: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client with an address of its own (a random loopback address), so its failures count alone."""
    address = f"127.{random.randrange(1, 255)}.{random.randrange(0, 256)}.{random.randrange(2, 255)}"
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://127.0.0.1:{system.gateway_port}",
                                 timeout=30.0) as client:
        yield client


async def test_many_bad_tokens_from_one_client_get_429_and_its_good_token_is_still_served(
    system: Settings, one_client: httpx.AsyncClient,
) -> None:
    statuses = []
    for n in range(30):
        response = await one_client.get("/v1/development/cases", headers={"Authorization": f"Bearer guess-{n}"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert response.headers["content-type"] == "application/problem+json"
            assert int(response.headers["retry-after"]) >= 1
            break
    assert statuses[0] == 401 and statuses[-1] == 429, statuses
    good = await one_client.get("/v1/development/cases", headers=bearer(system, Role.COUNTY_ADMIN))
    assert good.status_code == 200, good.text
