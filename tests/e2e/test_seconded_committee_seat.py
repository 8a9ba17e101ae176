"""A seconded cadre is elected to an outstation branch's committee while the relationship stays at home, on the
real system: the gateway checks the cadre–member link and the secondment placed at the branch before the
election goes to membership, and the branch's committee read shows the seat as a seconded cadre's."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer, branch_body, eventually, member_body
from tests.e2e.secondment_steps import cadre_body, placement, post, unique


async def test_a_seconded_cadre_sits_on_the_committee_of_the_branch_they_are_seconded_to(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    today = str(county_today())
    home = (await post(gateway, "/v1/branches", branch_body(), admin_headers))["id"]
    branch = (await post(gateway, "/v1/branches", branch_body(), admin_headers))["id"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)
    members = [(await post(gateway, "/v1/members", member_body(branch, name=f"Member {i}"), secretary))["id"]
               for i in range(7)]
    cadre_member = (await post(gateway, "/v1/members", member_body(home, name="Chen Gang"), admin_headers))["id"]

    # The cadre, out on secondment placed at the branch (the secondment service's records).
    unit_id = unique("unit")
    await post(gateway, "/v1/units", {"unit_id": unit_id, "township_id": unique("township"), "kind": "station",
                                      "name": "Agricultural station", "headcount": 20,
                                      "effective_from": "2020-01-01"}, admin_headers)
    cadre_id = (await post(gateway, "/v1/cadres", cadre_body(unit_id), admin_headers))["id"]
    secondment_id = (await post(gateway, "/v1/secondments", {
        "cadre_id": cadre_id, "route": "self_found", "placement": placement(outstation_branch_id=branch),
        "nominated_on": "2026-01-15"}, admin_headers))["id"]
    await post(gateway, f"/v1/secondments/{secondment_id}/nomination-decision",
               {"approved": True, "decided_on": "2026-02-01"}, admin_headers)
    await post(gateway, f"/v1/secondments/{secondment_id}/departure",
               {"departed_on": "2026-03-02", "placement": placement(outstation_branch_id=branch)}, admin_headers)

    def election(seat: dict[str, Any]) -> dict[str, Any]:
        return {"elected_on": today, "seats": [
            {"member_id": members[0], "duties": ["secretary"]},
            {"member_id": members[1], "duties": ["organisation", "discipline"]},
            {"member_id": cadre_member, "duties": ["propaganda"], **seat}]}

    path = f"/v1/organisations/{branch}/committee"
    seconded = {"seconded_cadre": True, "cadre_id": cadre_id, "secondment_id": secondment_id}
    # Not yet linked to the member: the gateway says what is missing.
    problem = await assert_refused(gateway, membership_db, path, 409, headers=secretary, json=election(seconded))
    assert "link the cadre to the member" in problem["detail"]
    # A member of another branch in an ordinary seat is refused as before.
    await assert_refused(gateway, membership_db, path, 422, headers=secretary, json=election({}))

    await post(gateway, f"/v1/cadres/{cadre_id}/member-link", {"member_id": cadre_member, "linked_on": today},
               admin_headers)

    async def elected() -> dict[str, Any] | None:
        r = await gateway.post(path, json=election(seconded), headers=secretary)
        if r.status_code == 409 and "link the cadre" in r.text:
            return None  # the gateway's read models have not seen the link yet
        assert r.status_code == 201, r.text
        return dict(r.json())

    # A seat naming a secondment the records do not show is refused, naming the one they show.
    await eventually(lambda: _shows_link(gateway, cadre_id, admin_headers), what="the cadre linked in the read model")
    wrong = await assert_refused(gateway, membership_db, path, 409, headers=secretary,
                                 json=election({**seconded, "secondment_id": "no-such-secondment"}))
    assert secondment_id in wrong["detail"]
    # Another branch's secretary cannot elect this branch's committee (403).
    await assert_refused(gateway, membership_db, path, 403, headers=bearer(system, Role.BRANCH_SECRETARY, home),
                         json=election(seconded))

    answer = await eventually(elected, what="the election with a seconded cadre's seat")

    r = await gateway.get(path, params={"min_position": answer["position"]}, headers=secretary)
    assert r.status_code == 200, r.text
    seat = next(s for s in r.json()["seats"] if s["member_id"] == cadre_member)
    assert (seat["seconded_cadre"], seat["cadre_id"], seat["secondment_id"], seat["home_org_id"]) == (
        True, cadre_id, secondment_id, home)
    # The relationship stays at home: the member's formal organisation is still the home branch.
    assert await membership_db.fetchval("SELECT formal_org_id FROM member_directory WHERE member_id = $1",
                                        cadre_member) == home
    # The committee is read within scope: another branch's token gets 403.
    other = await gateway.get(path, params={"min_position": answer["position"]},
                              headers=bearer(system, Role.BRANCH_SECRETARY, home))
    assert other.status_code == 403, other.text


async def _shows_link(gateway: httpx.AsyncClient, cadre_id: str, headers: dict[str, str]) -> bool:
    r = await gateway.get(f"/v1/cadres/{cadre_id}", headers=headers)
    return r.status_code == 200 and bool(r.json().get("member_id"))
