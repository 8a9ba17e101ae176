"""Forbidden actions and broken rules through the gateway: a 4xx problem+json, and nothing written."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from infra import supervisor
from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer, branch_body, eventually, member_body, national_id


async def _application(gateway: httpx.AsyncClient, org: str, headers: dict[str, str]) -> str:
    r = await gateway.post("/v1/development/cases", headers=headers, json={
        "name": "Ma Jun", "birth_date": "1998-08-08", "contact": {"phone": "+86 137 0000 5555"},
        "org_id": org, "route": "residence", "applied_on": "2026-02-01"})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_a_secretary_cannot_approve_an_admission(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)
    person = await _application(gateway, branch, secretary)
    problem = await assert_refused(gateway, membership_db, f"/v1/development/cases/{person}/admission-approval", 403,
                                   json={"talked_on": "2026-03-01", "approved_on": "2026-03-02"}, headers=secretary)
    assert "approve" in problem["detail"].lower() or "admission" in problem["detail"].lower()


async def test_a_temporary_branch_never_admits(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    county, township = f"county-{uuid.uuid4().hex[:6]}", f"township-{uuid.uuid4().hex[:6]}"
    temporary = f"temporary-{uuid.uuid4().hex[:6]}"
    for org_id, kind, parent, authority in ((county, "county_committee", None, True),
                                            (township, "township_committee", county, True),
                                            (temporary, "temporary_branch", township, False)):
        r = await gateway.post("/v1/organisations", headers=admin_headers, json={
            "org_id": org_id, "name": f"{kind} {org_id}", "kind": kind, "parent_id": parent,
            "approval_authority": authority, "established_on": "2026-01-05", "founding_members": 3})
        assert r.status_code == 201, r.text
    secretary = bearer(system, Role.BRANCH_SECRETARY, temporary)
    person = await _application(gateway, temporary, secretary)
    problem = await assert_refused(gateway, membership_db, f"/v1/development/cases/{person}/admission-vote", 409,
                                   json={"held_on": "2026-03-01", "present": 3, "yes": 3, "no": 0, "abstain": 0},
                                   headers=secretary)
    assert problem["status"] == 409


async def test_two_receiving_organisations_racing_for_one_letter_receive_it_once(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    home = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    host = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    member = (await gateway.post("/v1/members", json=member_body(home), headers=admin_headers)).json()["id"]
    transfer = (await gateway.post(f"/v1/members/{member}/transfers", headers=admin_headers,
                                   json={"to_org_id": host, "reason": "moved"})).json()["id"]
    today = str(county_today())
    issued = await gateway.post(f"/v1/members/{member}/transfers/{transfer}/approval", headers=admin_headers,
                                json={"letter_number": "L-1", "channel": "paper", "issued_on": today,
                                      "dues_paid_up_to": "2026-10"})
    assert issued.status_code == 201, issued.text
    host_secretary = bearer(system, Role.BRANCH_SECRETARY, host)
    answers = await asyncio.gather(*(
        gateway.post(f"/v1/members/{member}/transfers/{transfer}/reception", headers=host_secretary,
                     json={"letter_number": "L-1", "received_on": today})
        for _ in range(4)
    ))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
    received = await membership_db.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'gb.membership.transfer_received.v1'", member)
    assert received == 1
    org = await membership_db.fetchval("SELECT formal_org_id FROM member_directory WHERE member_id = $1", member)
    assert org == host


async def test_meetings_show_in_the_branch_compliance_report(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)
    members = [(await gateway.post("/v1/members", headers=secretary, json=member_body(
        branch, national_id=national_id(n)))).json()["id"] for n in (1, 2)]
    recorded = await gateway.post("/v1/meetings", headers=secretary, json={
        "org_id": branch, "kind": "general_meeting", "held_on": "2026-03-10", "present_ids": members,
        "minutes_ref": "minutes/2026-03-10"})
    assert recorded.status_code == 201, recorded.text
    report = await gateway.get(f"/v1/organisations/{branch}/meeting-compliance", headers=secretary, params={
        "year": 2026, "as_of": "2026-07-01", "min_position": recorded.json()["position"]})
    lines = {line["requirement"]: line for line in report.json()["requirements"]}
    general = lines["general_meeting"]
    assert (general["expected_to_date"], general["held"], general["periods_covered"]) == (2, 1, 1)
    assert len(general["overdue"]) == 1  # the second quarter passed without a general meeting


async def test_the_deadline_engine_expires_a_letter_the_day_after_its_last_valid_day(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    home = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    host = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    member = (await gateway.post("/v1/members", json=member_body(home, national_id=national_id(7)),
                                 headers=admin_headers)).json()["id"]
    transfer = (await gateway.post(f"/v1/members/{member}/transfers", headers=admin_headers,
                                   json={"to_org_id": host, "reason": "moved"})).json()["id"]
    today = county_today()
    await gateway.post(f"/v1/members/{member}/transfers/{transfer}/approval", headers=admin_headers,
                       json={"letter_number": "L-EXP", "channel": "paper", "issued_on": str(today),
                             "dues_paid_up_to": "2026-10"})

    def run_engine(day: date) -> None:
        run = subprocess.run([sys.executable, "-m", "services.membership.deadlines", "--on", str(day)],
                             env=supervisor.child_env(system), capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-2000:]

    async def state() -> str:
        rows = (await gateway.get("/v1/transfers", params={"org_id": host}, headers=admin_headers)).json()["items"]
        return str(rows[0]["state"]) if rows else ""

    run_engine(today + timedelta(days=90))  # the last valid day: still valid
    await eventually(lambda: state(), what="the transfer in the read model")
    assert await state() == "letter_issued"
    run_engine(today + timedelta(days=91))
    await eventually(lambda: _is(state, "expired"), what="the letter expired by the engine")


async def _is(read: Any, expected: str) -> bool:
    return bool(await read() == expected)


async def test_three_members_going_to_one_place_are_flagged_for_a_branch_and_two_are_not(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    township = f"township-{uuid.uuid4().hex[:6]}"
    branch = (await gateway.post("/v1/branches", json=branch_body(home_org_id=township),
                                 headers=admin_headers)).json()["id"]
    crowded, quiet = f"Kunshan {uuid.uuid4().hex[:4]}", f"Wuxi {uuid.uuid4().hex[:4]}"
    position = 0
    for n, place in enumerate((crowded, crowded, crowded, quiet, quiet)):
        member = (await gateway.post("/v1/members", json=member_body(branch, national_id=national_id(100 + n)),
                                     headers=admin_headers)).json()["id"]
        out = await gateway.post(f"/v1/members/{member}/outflows", headers=admin_headers, json={
            "destination": place, "employer": "Factory", "contact": {"phone": "+86 139 0000 0000"},
            "left_on": "2026-09-01", "expected_months": 3})
        assert out.status_code == 201, out.text
        position = max(position, out.json()["position"])
    report = await gateway.get("/v1/reports/destinations", params={"home_org_id": township,
                                                                   "min_position": position}, headers=admin_headers)
    assert report.json()["items"] == [
        {"destination": crowded, "members_away": 3, "branch_advised": True},
        {"destination": quiet, "members_away": 2, "branch_advised": False},
    ]
