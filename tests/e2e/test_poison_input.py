"""Input an event store would keep but a read model could not apply (a poison event), and input that was a 500:
each is a 4xx problem+json that names what to fix, nothing is written, and the read models answer afterwards.

A NUL in text (the stores' ``json`` keeps ``\\u0000``, PostgreSQL's text columns refuse it), an amount of forty
digits or ``1e999999``, a headcount past ``integer``, a month of year 0000 or in Arabic-Indic digits, a recorded
time without its offset — all once accepted, then a projector stuck on one event for good or a 500."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest

from services.kernel.clock import today as county_today
from tests.e2e.conftest import assert_refused, branch_body, member_body, outflow_body
from tests.e2e.secondment_steps import Seconded, placement, second_a_cadre, unique


@pytest.fixture(scope="module")
async def member(gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> dict[str, str]:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    member = (await gateway.post("/v1/members", json=member_body(branch), headers=admin_headers)).json()["id"]
    return {"branch": branch, "member": member}


@pytest.fixture(scope="module")
async def seconded(gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> Seconded:
    return await second_a_cadre(gateway, admin_headers, departed_on="2025-03-01")


def _fields(problem: dict[str, Any]) -> list[str]:
    return [e["field"] for e in problem["errors"]]


async def _read_back(gateway: httpx.AsyncClient, headers: dict[str, str], path: str, accepted: httpx.Response,
                     read: str) -> dict[str, Any]:
    assert accepted.status_code == 201, accepted.text
    answer = await gateway.get(read, params={"min_position": accepted.json()["position"]}, headers=headers)
    assert answer.status_code == 200, f"{path}: the read models did not take the command after it: {answer.text}"
    body: dict[str, Any] = answer.json()
    return body


async def test_text_with_a_nul_or_an_escape_is_refused_naming_the_field(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
    secondment_db: asyncpg.Pool, member: dict[str, str],
) -> None:
    for body, field in [(branch_body(name="a\u0000b"), "name"), (branch_body(destination="x\u0000"), "destination"),
                        (branch_body(name="a\u0001\u001b[31mred"), "name"),
                        (branch_body(build_mode="joint", covered_units=["a\u0000", "b"]), "covered_units.0")]:
        problem = await assert_refused(gateway, membership_db, "/v1/branches", 422, headers=admin_headers, json=body)
        assert _fields(problem) == [field] and "control character" in problem["detail"], problem
    problem = await assert_refused(gateway, membership_db, f"/v1/members/{member['member']}/outflows", 422,
                                   headers=admin_headers, json=outflow_body(destination="Dong\u0000guan"))
    assert _fields(problem) == ["destination"]
    problem = await assert_refused(gateway, secondment_db, "/v1/units", 422, headers=admin_headers, json={
        "unit_id": unique("unit"), "township_id": unique("township"), "name": "St\u0000ation", "kind": "station",
        "headcount": 5, "effective_from": "2020-01-01"})
    assert _fields(problem) == ["name"] and "U+0000" in problem["detail"]


async def test_text_nested_in_a_command_is_refused_too(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], secondment_db: asyncpg.Pool, seconded: Seconded,
) -> None:
    problem = await assert_refused(gateway, secondment_db, "/v1/secondments", 422, headers=admin_headers, json={
        "cadre_id": seconded.cadre_id, "route": "self_found", "placement": placement(host_name="Peng\u0000cheng"),
        "nominated_on": "2025-01-01"})
    assert _fields(problem) == ["placement"] and "host_name holds the control character U+0000" in problem["detail"]


async def test_numbers_no_read_model_can_hold_are_refused(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], secondment_db: asyncpg.Pool, seconded: Seconded,
) -> None:
    contributions = f"/v1/secondments/{seconded.secondment_id}/contributions"
    for amount in ("1e999999", "1" * 40, "0E-999999"):
        problem = await assert_refused(gateway, secondment_db, contributions, 422, headers=admin_headers, json={
            "kind": "capital", "description": "plant", "contributed_on": "2025-05-01", "amount_yuan": amount})
        assert "amount" in problem["detail"], problem
    unit = {"township_id": unique("township"), "name": "Station", "kind": "station", "effective_from": "2020-01-01"}
    for headcount in (2**31, 2**70):
        problem = await assert_refused(gateway, secondment_db, "/v1/units", 422, headers=admin_headers,
                                       json={**unit, "unit_id": unique("unit"), "headcount": headcount})
        assert _fields(problem) == ["headcount"]
    problem = await assert_refused(gateway, secondment_db, "/v1/units", 422, headers=admin_headers,
                                   json={**unit, "unit_id": unique("unit"), "headcount": 100_001})
    assert "0 to 100,000 people" in problem["detail"]


async def test_dues_amounts_and_months_out_of_range_are_refused_not_a_500(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool, member: dict[str, str],
) -> None:
    account = f"/v1/members/{member['member']}/dues/account"
    opening = {"org_id": member["branch"], "category": "wage_earner", "base": "4000.00", "owed_from": "2026-01"}
    problem = await assert_refused(gateway, membership_db, account, 422, headers=admin_headers,
                                   json={**opening, "base": "1" * 40})
    assert "is more than 1,000,000,000,000 yuan" in problem["detail"] and "base" in problem["detail"], problem
    # An exponent is refused by every body before the domain sees it (services/kernel/bodies.py, PlainDecimal).
    problem = await assert_refused(gateway, membership_db, account, 422, headers=admin_headers,
                                   json={**opening, "base": "1e999999"})
    assert "base: write it in plain digits" in problem["detail"], problem
    for owed_from in ("0000-01", "\u0662\u0660\u0662\u0666-01", "2101-01"):
        problem = await assert_refused(gateway, membership_db, account, 422, headers=admin_headers,
                                       json={**opening, "owed_from": owed_from})
        assert "from 1900-01 to 2100-12" in problem["detail"], problem
    opened = await gateway.post(account, headers=admin_headers, json=opening)
    assert opened.status_code == 201, opened.text
    payments = f"/v1/members/{member['member']}/dues/payments"
    paying = {"months": ["2026-01"], "amount": "40.00", "paid_on": str(county_today()), "branch_consent": True}
    problem = await assert_refused(gateway, membership_db, payments, 422, headers=admin_headers,
                                   json={**paying, "amount": "1" * 40})
    assert problem["detail"].startswith("amount ") and "is more than" in problem["detail"], problem
    problem = await assert_refused(gateway, membership_db, payments, 422, headers=admin_headers,
                                   json={**paying, "amount": "1e999999"})
    assert "amount: write it in plain digits" in problem["detail"], problem
    paid = await gateway.post(payments, headers=admin_headers, json=paying)
    statement = await _read_back(gateway, admin_headers, payments, paid, f"/v1/members/{member['member']}/dues")
    assert statement["account"]["owed_from"] == "2026-01"


async def test_a_recorded_time_without_its_offset_is_refused_saying_how_to_write_it(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    for params in ({"recorded_from": "9999-12-31"}, {"recorded_from": "2026-06-30T18:00:00"},
                   {"recorded_to": "2026-06-30T18:00:00"}, {"recorded_from": "0001-01-01T00:00:00+14:00"}):
        answer = await gateway.get("/v1/audit/exports", params=params, headers=admin_headers)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["errors"][0]["field"] == f"query.{next(iter(params))}"
    naive = await gateway.get("/v1/audit/exports", params={"recorded_from": "2026-06-30T18:00:00"},
                              headers=admin_headers)
    assert "give a time zone offset, e.g. 2026-06-30T18:00:00+08:00" in naive.json()["detail"]
    history = await gateway.get("/v1/audit/streams/some-record", params={"as_of": "2026-06-30T18:00:00"},
                                headers=admin_headers)
    assert history.status_code == 422 and "time zone offset" in history.json()["detail"]
    window = await gateway.get("/v1/audit/exports", headers=admin_headers, params={
        "recorded_from": "2100-12-30T00:00:00+08:00", "recorded_to": "2100-12-31T00:00:00Z"})
    assert window.status_code == 200, window.text  # nothing recorded then: the signed head alone


async def test_an_idempotency_key_this_api_does_not_keep_is_refused_and_fails_no_one_elses_command(
    gateway: httpx.AsyncClient, admin_headers: dict[str, Any], membership_db: asyncpg.Pool,
) -> None:
    # 8,000 characters overflowed the key's index entry: a 500, and every command batched with it failed too.
    for key in ("k" * 8_000, "k" * 256, "clé".encode()):
        problem = await assert_refused(gateway, membership_db, "/v1/branches", 400, json=branch_body(),
                                       headers={**admin_headers, "Idempotency-Key": key})
        assert problem["type"].endswith("/invalid-idempotency-key") and "1 to 255 printable ASCII" in problem["detail"]

    async def innocent(n: int) -> int:
        answer = await gateway.post("/v1/branches", json=branch_body(),
                                    headers={**admin_headers, "Idempotency-Key": f"innocent-{unique('k')}-{n}"})
        return answer.status_code

    async def oversized() -> int:
        answer = await gateway.post("/v1/branches", json=branch_body(),
                                    headers={**admin_headers, "Idempotency-Key": "k" * 8_000})
        return answer.status_code

    statuses = await asyncio.gather(oversized(), *(innocent(n) for n in range(20)))
    assert statuses == [400] + [201] * 20
    accepted = await gateway.post("/v1/branches", json=branch_body(),
                                  headers={**admin_headers, "Idempotency-Key": "k" * 255})
    assert accepted.status_code == 201, accepted.text


async def test_after_all_of_it_the_read_models_take_ordinary_commands(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], seconded: Seconded,
) -> None:
    branch = await gateway.post("/v1/branches", headers=admin_headers,
                                json=branch_body(name="Longhua\tBranch", destination="Shenzhen\nGuangdong"))
    read = await _read_back(gateway, admin_headers, "/v1/branches", branch, f"/v1/branches/{branch.json()['id']}")
    assert (read["name"], read["destination"]) == ("Longhua\tBranch", "Shenzhen\nGuangdong")  # tab and line break
    unit = unique("unit")
    registered = await gateway.post("/v1/units", headers=admin_headers, json={
        "unit_id": unit, "township_id": unique("township"), "name": "Station", "kind": "station",
        "headcount": 100_000, "effective_from": "2020-01-01"})
    await _read_back(gateway, admin_headers, "/v1/units", registered, "/v1/units")
    contributed = await gateway.post(f"/v1/secondments/{seconded.secondment_id}/contributions",
                                     headers=admin_headers, json={"kind": "capital", "description": "plant",
                                                                  "contributed_on": "2025-05-01",
                                                                  "amount_yuan": "1000000000000"})
    await _read_back(gateway, admin_headers, "/v1/secondments", contributed,
                     f"/v1/secondments/{seconded.secondment_id}")
