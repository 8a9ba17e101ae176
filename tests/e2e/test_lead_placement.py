"""Where a lead is placed, on the real system: its branch is an organisation of its township, a member's own lead
is at their own branch and a cadre's in their own township — checked by the gateway on its read models before
the registration is forwarded (services/gateway/command_checks.py ``lead_placement``).

The placements a hostile review made from township A into township B (a member naming B's township and branch,
A's secretary naming its branch under B, A's committee naming B's branch under A) are refused with nothing
written and B's leads unchanged; each role's own registration in A still gets 201."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer, branch_body, eventually, member_body
from tests.e2e.secondment_steps import get, lead_body, post, second_a_cadre, unique


@dataclass(frozen=True)
class Townships:
    """Two townships, a branch of each, and a member and a cadre of A, all in the gateway's read models."""

    a: str
    b: str
    a_branch: str
    b_branch: str
    member: str
    cadre: str


async def a_branch_of(gateway: httpx.AsyncClient, township: str, headers: dict[str, str]) -> str:
    """An outstation branch whose home organisation is ``township``, already in the read models."""
    answer = await post(gateway, "/v1/branches", branch_body(home_org_id=township), headers)
    await get(gateway, f"/v1/branches/{answer['id']}", headers, min_position=answer["position"])
    return str(answer["id"])


@pytest.fixture(scope="module")
async def places(gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> Townships:
    a, b = unique("township-a"), unique("township-b")
    a_branch, b_branch = await a_branch_of(gateway, a, admin_headers), await a_branch_of(gateway, b, admin_headers)
    member = await post(gateway, "/v1/members", member_body(a_branch, name="Wu Fang"), admin_headers)
    await get(gateway, f"/v1/members/{member['id']}", admin_headers, min_position=member["position"])
    cadre = (await second_a_cadre(gateway, admin_headers, township_id=a, branch_id=a_branch)).cadre_id

    async def cadre_read() -> bool:
        return (await gateway.get(f"/v1/cadres/{cadre}", headers=admin_headers)).status_code == 200

    await eventually(cadre_read, what="the cadre in the read models")
    return Townships(a, b, a_branch, b_branch, str(member["id"]), cadre)


def member_lead(places: Townships, township: str, branch: str) -> dict[str, Any]:
    return lead_body(township, registrant_kind="member", registrant_id=places.member, registrant_name="Wu Fang",
                     branch_id=branch)


def cadre_lead(places: Townships, township: str, branch: str) -> dict[str, Any]:
    return lead_body(township, registrant_kind="cadre", registrant_id=places.cadre, registrant_name="Chen Gang",
                     branch_id=branch)


def branch_lead(township: str, branch: str) -> dict[str, Any]:
    return lead_body(township, registrant_id=branch, branch_id=branch)


async def lead_ids(gateway: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    return [lead["lead_id"] for lead in (await get(gateway, "/v1/leads", headers, **params))["items"]]


async def test_a_lead_is_not_placed_in_another_township_and_nothing_changes_there(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], investment_db: asyncpg.Pool,
    places: Townships,
) -> None:
    a, b = places.a, places.b
    b_committee = bearer(system, Role.TOWNSHIP_COMMITTEE, b)
    theirs = await post(gateway, "/v1/leads", branch_lead(b, places.b_branch), admin_headers)
    before = await lead_ids(gateway, b_committee, min_position=theirs["position"])
    assert before == [theirs["id"]]

    async def refused(status: int, headers: dict[str, str], body: dict[str, Any], says: str) -> None:
        problem = await assert_refused(gateway, investment_db, "/v1/leads", status, headers=headers, json=body)
        assert says in problem["detail"], problem["detail"]

    # A member of A, with B's township and branch: a member's lead is at their own branch.
    member = bearer(system, Role.MEMBER, subject=places.member)
    await refused(403, member, member_lead(places, b, places.b_branch), f"send branch_id {places.a_branch}")
    # ...and their own branch under B's township: the branch's township is A.
    await refused(422, member, member_lead(places, b, places.a_branch), f"in township {a}, not {b}")
    # A's branch secretary, its own branch under B.
    secretary = bearer(system, Role.BRANCH_SECRETARY, places.a_branch)
    await refused(422, secretary, branch_lead(b, places.a_branch), f"send township_id {a}")
    # A's committee, B's branch under A.
    committee = bearer(system, Role.TOWNSHIP_COMMITTEE, a)
    await refused(422, committee, branch_lead(a, places.b_branch), f"in township {b}, not {a}")
    await refused(422, committee, branch_lead(a, "branch-not-on-record"), "a moment ago, retry")
    # A cadre of A: in their own township only, and a branch on record there.
    cadre = bearer(system, Role.MEMBER, subject=places.cadre)
    await refused(403, cadre, cadre_lead(places, b, places.b_branch), f"send township_id {a}")
    await refused(422, cadre, cadre_lead(places, a, places.b_branch), f"name a branch of {a}")
    # A member token with no record behind it places nothing in a recorded township; nor does a cadre's as a member.
    stranger = unique("member")
    await refused(404, bearer(system, Role.MEMBER, subject=stranger),
                  lead_body(b, registrant_kind="member", registrant_id=stranger, branch_id=places.b_branch),
                  f"no member or cadre {stranger}")
    await refused(403, cadre, lead_body(b, registrant_kind="member", registrant_id=places.cadre,
                                        branch_id=places.b_branch), "registrant_kind cadre")
    # The county, too, places a branch on record in its own township.
    await refused(422, admin_headers, branch_lead(b, places.a_branch), f"in township {a}, not {b}")
    # Scope first: a caller of another scope learns nothing of the tree (403, not the branch's record).
    await refused(403, committee, branch_lead(b, "branch-not-on-record"), "cannot register a lead")
    await refused(403, secretary, branch_lead(a, places.b_branch), "cannot register a lead")

    assert await lead_ids(gateway, b_committee) == before
    assert await lead_ids(gateway, admin_headers, township=b) == before


async def test_each_role_still_registers_a_lead_in_its_own_township(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], places: Townships,
) -> None:
    a, branch = places.a, places.a_branch
    before_b = await lead_ids(gateway, admin_headers, township=places.b)
    registrations = [
        (admin_headers, branch_lead(a, branch)),
        (bearer(system, Role.TOWNSHIP_COMMITTEE, a), branch_lead(a, branch)),
        (bearer(system, Role.BRANCH_SECRETARY, branch), branch_lead(a, branch)),
        (bearer(system, Role.MEMBER, subject=places.member), member_lead(places, a, branch)),
        (bearer(system, Role.MEMBER, subject=places.cadre), cadre_lead(places, a, branch)),
    ]
    a_committee = bearer(system, Role.TOWNSHIP_COMMITTEE, a)
    for headers, body in registrations:
        answer = await post(gateway, "/v1/leads", body, headers)
        lead = await get(gateway, f"/v1/leads/{answer['id']}", a_committee, min_position=answer["position"])
        assert (lead["township_id"], lead["branch_id"], lead["registrant_id"], lead["stage"]) == (
            a, branch, body["registrant_id"], "registered")
    assert await lead_ids(gateway, admin_headers, township=places.b) == before_b
