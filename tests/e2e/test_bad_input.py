"""Bad input and forbidden writes: a 4xx problem+json that says what to fix, and nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer, branch_body, member_body, outflow_body


@pytest.fixture(scope="module")
async def existing(gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> AsyncIterator[dict[str, str]]:
    a = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    b = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    member_b = (await gateway.post("/v1/members", json=member_body(b), headers=admin_headers)).json()["id"]
    yield {"branch_a": a, "branch_b": b, "member_b": member_b}


async def test_a_field_of_the_wrong_type_is_refused_naming_the_field(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool, existing: dict[str, str]
) -> None:
    problem = await assert_refused(gateway, membership_db, f"/v1/members/{existing['member_b']}/outflows", 422,
                             headers=admin_headers, json=outflow_body(expected_months="eight"))
    assert problem["errors"][0]["field"] == "expected_months"
    await assert_refused(gateway, membership_db, "/v1/branches", 422, headers=admin_headers, json=branch_body(name=123))


async def test_an_unknown_enum_value_is_refused_listing_the_allowed_ones(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    problem = await assert_refused(gateway, membership_db, "/v1/branches", 422, headers=admin_headers,
                             json=branch_body(founding_basis="moon_base"))
    assert "native_private_enterprise" in problem["detail"]


async def test_missing_fields_are_all_named(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    problem = await assert_refused(gateway, membership_db, "/v1/branches", 422, headers=admin_headers, json={})
    assert {e["field"] for e in problem["errors"]} >= {"name", "founding_basis", "build_mode", "established_on"}


async def test_malformed_json_and_unknown_fields_are_refused(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    await assert_refused(gateway, membership_db, "/v1/branches", 422, headers={**admin_headers,
                   "content-type": "application/json"}, content=b"{not json")
    problem = await assert_refused(gateway, membership_db, "/v1/branches", 422, headers=admin_headers,
                             json=branch_body(foundng_basis="typo"))
    assert problem["errors"][0]["field"] == "foundng_basis"


async def test_a_two_megabyte_body_is_refused(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    await assert_refused(gateway, membership_db, "/v1/branches", 413, headers=admin_headers,
                   json=branch_body(name="x" * 2_000_000))


async def test_no_token_or_a_wrong_token_is_refused(
    gateway: httpx.AsyncClient, membership_db: asyncpg.Pool
) -> None:
    await assert_refused(gateway, membership_db, "/v1/branches", 401, headers={}, json=branch_body())
    await assert_refused(gateway, membership_db, "/v1/branches", 401, headers={"Authorization": "Bearer forged"},
                   json=branch_body())


async def test_a_secretary_cannot_write_to_another_branch(
    system: Settings, gateway: httpx.AsyncClient, membership_db: asyncpg.Pool, existing: dict[str, str]
) -> None:
    secretary_a = bearer(system, Role.BRANCH_SECRETARY, existing["branch_a"])
    await assert_refused(gateway, membership_db, "/v1/members", 403, headers=secretary_a,
                   json=member_body(existing["branch_b"]))
    await assert_refused(gateway, membership_db, f"/v1/members/{existing['member_b']}/outflows", 403,
                   headers=secretary_a, json=outflow_body())
    await assert_refused(gateway, membership_db, "/v1/branches", 403, headers=secretary_a, json=branch_body())


async def test_a_rule_violation_is_explained(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    units = [f"unit {i}" for i in range(6)]
    problem = await assert_refused(gateway, membership_db, "/v1/branches", 422, headers=admin_headers,
                             json=branch_body(build_mode="joint", covered_units=units))
    assert "at most 5" in problem["detail"]
    await assert_refused(gateway, membership_db, "/v1/members", 404, headers=admin_headers,
                   json=member_body("no-such-branch"))
