"""Bad input and forbidden writes: a 4xx problem+json that says what to fix, and nothing written."""

from __future__ import annotations

import time
import uuid
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
    # A body that is not JSON at all meets the token first, as every other request does.
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        problem = await assert_refused(gateway, membership_db, "/v1/branches", 401,
                                       headers={**headers, "content-type": "application/json"}, content=b"{not json")
        assert "errors" not in problem
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


@pytest.mark.parametrize("path, params", [
    ("/v1/members/bad%00id", {}),
    ("/v1/branches/%E2%80%AEevil%0A", {}),
    ("/v1/branches", {"cursor": "a\x01b"}),
    ("/v1/branches", {"destination": "line\nbreak"}),
    ("/v1/branches", {"limit": 10**30}),
    ("/v1/branches", {"min_position": 2**63}),
    ("/v1/secondments", {"as_of": "0070-01-01"}),
    ("/v1/reports/secondment-targets", {"on": "0"}),
    ("/v1/reports/secondment-targets", {"year": 2026, "as_of": "9999-12-31"}),
    ("/v1/development/funnel", {"as_of": "0"}),
    ("/v1/transfers", {"overdue_on": "1899-12-31"}),
    ("/v1/reports/targets", {"year": 10**20}),
])
async def test_an_out_of_range_or_malformed_parameter_is_a_422_problem(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], path: str, params: dict[str, object]
) -> None:
    response = await gateway.get(path, params=params, headers=admin_headers)
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


async def test_a_min_position_never_issued_is_refused_at_once(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], existing: dict[str, str]
) -> None:
    started = time.monotonic()
    response = await gateway.get(f"/v1/branches/{existing['branch_a']}", params={"min_position": 2**50},
                                 headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/position-not-issued")
    assert time.monotonic() - started < 2, "the gateway waited for a position that was never issued"


async def test_malformed_json_is_reported_with_its_position(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    problem = await assert_refused(gateway, membership_db, "/v1/branches", 422,
                                   headers={**admin_headers, "content-type": "application/json"},
                                   content=b'{"name": "x",, "build_mode": "standalone"}')
    assert problem["errors"][0]["position"] == 13 and "character 13" in problem["detail"]


async def test_a_chunked_body_over_the_limit_is_a_413(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(30):
            yield b"x" * 100_000
        yield b'"}'

    problem = await assert_refused(gateway, membership_db, "/v1/branches", 413,
                                   headers={**admin_headers, "content-type": "application/json"}, content=chunks())
    assert problem["instance"] == "/v1/branches"


async def test_a_problem_from_a_service_names_the_public_path(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], existing: dict[str, str]
) -> None:
    response = await gateway.post(f"/v1/members/no-such-member-{uuid.uuid4().hex[:6]}/outflows",
                                  json=outflow_body(), headers=admin_headers)
    assert response.status_code == 404, response.text
    assert response.json()["instance"] == response.request.url.path
    assert response.json()["instance"].startswith("/v1/")
