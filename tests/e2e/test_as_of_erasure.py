"""Erasure binds history views too: asked ``as_of`` a time before a person was erased, the county as it stood
shows them erased — whether the as-of read models are rebuilt after the erasure or were built before it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import httpx

from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from tests.e2e.conftest import branch_body, member_body, national_id, outflow_body
from tests.e2e.secondment_steps import post
from tests.e2e.test_as_of import _as_of
from tests.e2e.test_erasure import ERASED_NAME


async def _live(gateway: httpx.AsyncClient, path: str, position: int, headers: dict[str, str]) -> dict[str, Any]:
    answer = await gateway.get(path, params={"min_position": position}, headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _erase(gateway: httpx.AsyncClient, person_id: str, headers: dict[str, str]) -> int:
    erased = await post(gateway, f"/v1/members/{person_id}/erasure", {"reason": "request under PIPL art. 47"},
                        headers)
    position: int = erased["position"]
    return position


def _personal(record: dict[str, Any]) -> tuple[str, str, Any]:
    return record["name"], record["national_id"], record["contact"]


def _membership_position(answer: httpx.Response) -> int:
    positions = dict(p.split("=") for p in answer.headers["gb-log-positions"].split(", "))
    return int(positions["membership"])


async def test_as_of_a_time_before_an_erasure_shows_the_person_erased(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], read_db: asyncpg.Pool,
) -> None:
    branch = await post(gateway, "/v1/branches", branch_body(), admin_headers)
    member = await post(gateway, "/v1/members", member_body(
        branch["id"], name="Probe Person", national_id=national_id(), contact={"phone": "+86 138 1234 5678"}),
        admin_headers)
    number = national_id()
    applicant = await post(gateway, "/v1/development/cases", {
        "name": "Probe Applicant", "birth_date": f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
        "contact": {"phone": "+86 137 1234 8765"}, "national_id": number, "org_id": branch["id"],
        "route": "mobile_member_organisation",
        "is_mobile": True, "applied_on": county_today().isoformat()}, admin_headers)
    member_path, case_path = f"/v1/members/{member['id']}", f"/v1/development/cases/{applicant['id']}"
    assert (await _live(gateway, member_path, member["position"], admin_headers))["name"] == "Probe Person"
    assert (await _live(gateway, case_path, applicant["position"], admin_headers))["name"] == "Probe Applicant"
    t: datetime = await read_db.fetchval("SELECT clock_timestamp()")

    # After T: the member moves away (so their erasure is not the next event of their stream after T), then
    # both people are forgotten.
    moved = await post(gateway, f"{member_path}/outflows", outflow_body(), admin_headers)
    erased = max(await _erase(gateway, member["id"], admin_headers),
                 await _erase(gateway, applicant["id"], admin_headers))
    assert _personal(await _live(gateway, member_path, erased, admin_headers)) == (ERASED_NAME, "", {})
    assert _personal(await _live(gateway, case_path, erased, admin_headers)) == (ERASED_NAME, "", {})

    then = await _as_of(gateway, member_path, {}, admin_headers, t)
    assert then.status_code == 200, then.text
    record = then.json()
    assert _personal(record) == (ERASED_NAME, "", {}), record
    # Otherwise the member as they stood at T: away only later, and the answer reflects nothing recorded since
    # but the erasure.
    assert record["status"] == "full" and record["away"] is False and record["outflow"] is None, record
    assert record["erased_on"], record
    assert member["position"] <= _membership_position(then) < moved["position"]

    listed = await _as_of(gateway, "/v1/members", {"formal_org_id": branch["id"]}, admin_headers, t)
    assert listed.status_code == 200, listed.text
    assert [_personal(m) for m in listed.json()["items"]] == [(ERASED_NAME, "", {})], listed.text

    case = await _as_of(gateway, case_path, {}, admin_headers, t)
    assert case.status_code == 200, case.text
    assert _personal(case.json()) == (ERASED_NAME, "", {}), case.text
    assert case.json()["stage"] == "applicant"


async def test_an_as_of_copy_built_before_an_erasure_no_longer_shows_the_person(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], read_db: asyncpg.Pool,
) -> None:
    branch = await post(gateway, "/v1/branches", branch_body(), admin_headers)
    member = await post(gateway, "/v1/members", member_body(
        branch["id"], name="Cached Person", national_id=national_id(), contact={"phone": "+86 138 8765 4321"}),
        admin_headers)
    member_path = f"/v1/members/{member['id']}"
    await _live(gateway, member_path, member["position"], admin_headers)
    t: datetime = await read_db.fetchval("SELECT clock_timestamp()")

    # Built and kept before the erasure: the person as they stood.
    before = await _as_of(gateway, member_path, {}, admin_headers, t)
    assert before.status_code == 200, before.text
    assert before.json()["name"] == "Cached Person" and before.json()["national_id"]

    erased = await _erase(gateway, member["id"], admin_headers)
    assert _personal(await _live(gateway, member_path, erased, admin_headers)) == (ERASED_NAME, "", {})

    # Asked again about the same instant: never the kept copy's name — rebuilt (202, then the answer).
    after = await _as_of(gateway, member_path, {}, admin_headers, t)
    assert after.status_code == 200, after.text
    assert _personal(after.json()) == (ERASED_NAME, "", {}), after.text
    assert after.headers["gb-as-of-build"] == before.headers["gb-as-of-build"]
    assert _membership_position(after) == _membership_position(before)
    listed = await _as_of(gateway, "/v1/members", {"formal_org_id": branch["id"]}, admin_headers, t)
    assert [_personal(m) for m in listed.json()["items"]] == [(ERASED_NAME, "", {})], listed.text
