"""Every membership write is kept to the caller's scope (services/membership/access.py), through the gateway.

A township committee token of township B is refused (403, nothing written) on township A's members, branch,
dues and development case; township A's own token is accepted for the same commands; a secretary of another
branch is refused too.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer, branch_body, member_body, national_id, outflow_body


async def _created(gateway: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
    response = await gateway.post(path, json=body, headers=headers)
    assert response.status_code == 201, f"{path}: {response.text}"
    return str(response.json()["id"])


async def test_a_township_writes_only_to_its_own_townships_records(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    run = uuid.uuid4().hex[:8]
    town_a, town_b = f"township-a-{run}", f"township-b-{run}"
    own, other = bearer(system, Role.TOWNSHIP_COMMITTEE, town_a), bearer(system, Role.TOWNSHIP_COMMITTEE, town_b)
    branch = await _created(gateway, "/v1/branches", branch_body(home_org_id=town_a), own)
    branch_b = await _created(gateway, "/v1/branches", branch_body(home_org_id=town_b), other)
    outsider = bearer(system, Role.BRANCH_SECRETARY, branch_b)
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)
    full = [await _created(gateway, "/v1/members", member_body(branch, name=f"Member {n}", national_id=national_id()),
                           secretary) for n in range(3)]
    member = full[0]
    today = str(county_today())
    case = await _created(gateway, "/v1/development/cases", {
        "name": "Zhang Min", "birth_date": "1996-04-18", "contact": {"phone": "+86 137 0000 1111"},
        "org_id": branch, "route": "mobile_member_organisation", "is_mobile": True, "applied_on": today}, secretary)

    # (path, body, township A's expected answer): each is first refused to the other township and a
    # secretary of another branch, then accepted from township A.
    writes: list[tuple[str, dict[str, Any], int]] = [
        (f"/v1/members/{member}/outflows", outflow_body(left_on=today), 201),
        (f"/v1/members/{member}/contacts", {"contacted_on": today, "channel": "phone"}, 201),
        (f"/v1/members/{member}/transfers", {"to_org_id": branch_b, "reason": "moved for work"}, 201),
        (f"/v1/organisations/{branch}/secretary", {"elected_on": today, "secretary_id": full[1]}, 201),
        (f"/v1/members/{full[2]}/dues/account", {"org_id": branch, "category": "wage_earner", "base": "4000.00",
                                                  "owed_from": "2026-01"}, 201),
        (f"/v1/members/{full[2]}/dues/payments", {"months": ["2026-01"], "amount": "40.00", "paid_on": today,
                                                   "branch_consent": True}, 201),
        (f"/v1/development/cases/{case}/interview", {"interviewer": full[1], "interviewed_on": today}, 201),
        # A fresh member cannot be suspended yet (six months without contact): township A passes the scope
        # and meets the rule instead.
        (f"/v1/members/{full[1]}/suspension", {"suspended_on": today, "reason": "lost contact"}, 422),
    ]
    for path, body, expected in writes:
        problem = await assert_refused(gateway, membership_db, path, 403, json=body, headers=other)
        assert town_b in problem["detail"], problem
        await assert_refused(gateway, membership_db, path, 403, json=body, headers=outsider)
        answer = await gateway.post(path, json=body, headers=own)
        assert answer.status_code == expected, f"{path}: {answer.text}"

    # Personal data in clear: the member's own township only.
    assert (await gateway.get(f"/v1/members/{member}/personal-data", headers=other)).status_code == 403
    assert (await gateway.get(f"/v1/members/{member}/personal-data", headers=own)).status_code == 200
