"""A cadre linked to the member record of the same person, on the real system: the gateway checks the member in
its read models before forwarding (404 unknown, 409 removed or another cadre's), the secondment service keeps one
link per cadre, the cadre read and the roster show it, and ``seconded_to_branch`` — the query membership's
committee rule asks through the gateway — answers from the real read models by the day and the branch."""

from __future__ import annotations

from datetime import date

import asyncpg
import httpx

from services.gateway.readmodels.cadres import seconded_to_branch
from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer, branch_body, member_body
from tests.e2e.secondment_steps import get, post, second_a_cadre


async def a_member(gateway: httpx.AsyncClient, branch: str, headers: dict[str, str], **body: str) -> str:
    """A member registered and already in the gateway's members read model."""
    answer = await post(gateway, "/v1/members", member_body(branch, **body), headers)
    await get(gateway, f"/v1/members/{answer['id']}", headers, min_position=answer["position"])
    return str(answer["id"])


async def test_a_cadre_is_linked_once_to_a_current_member_and_the_link_answers_the_branch_query(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], secondment_db: asyncpg.Pool,
    read_db: asyncpg.Pool,
) -> None:
    today = str(county_today())
    home = (await post(gateway, "/v1/branches", branch_body(), admin_headers))["id"]
    outstation = (await post(gateway, "/v1/branches", branch_body(), admin_headers))["id"]
    member = await a_member(gateway, home, admin_headers, name="Chen Gang")
    other_member = await a_member(gateway, home, admin_headers, name="Zhao Lei")
    seconded = await second_a_cadre(gateway, admin_headers, departed_on="2024-03-01", branch_id=outstation)
    other = await second_a_cadre(gateway, admin_headers, departed_on="2024-03-01")
    link = f"/v1/cadres/{seconded.cadre_id}/member-link"

    # The gateway checks what only its read models know; nothing reaches the secondment store.
    missing = await assert_refused(gateway, secondment_db, link, 404, headers=admin_headers,
                                   json={"member_id": "no-such-member", "linked_on": today})
    assert "no member no-such-member" in missing["detail"]
    # Only the sending unit of the cadre's own township (or the county) links it; a branch secretary never.
    await assert_refused(gateway, secondment_db, link, 403, json={"member_id": member, "linked_on": today},
                         headers=bearer(system, Role.TOWNSHIP_COMMITTEE, "another-township"))
    await assert_refused(gateway, secondment_db, link, 403, json={"member_id": member, "linked_on": today},
                         headers=bearer(system, Role.BRANCH_SECRETARY, home))
    await assert_refused(gateway, secondment_db, link, 422, headers=admin_headers,
                         json={"member_id": member, "linked_on": "2019-12-31"})  # before the cadre's registration

    sending = bearer(system, Role.TOWNSHIP_COMMITTEE, seconded.township_id)
    linked = await post(gateway, link, {"member_id": member, "linked_on": today}, sending)
    cadre = await get(gateway, f"/v1/cadres/{seconded.cadre_id}", sending, min_position=linked["position"])
    assert (cadre["member_id"], cadre["linked_on"]) == (member, today)
    roster = await get(gateway, "/v1/secondments", sending, township=seconded.township_id)
    assert [r["cadre_member_id"] for r in roster["items"]] == [member]

    # One cadre, one person: a second record is refused by the service, the same member for another cadre by
    # the gateway.
    again = await assert_refused(gateway, secondment_db, link, 409, headers=admin_headers,
                                 json={"member_id": other_member, "linked_on": today})
    assert "a second member record cannot be linked" in again["detail"]
    taken = await assert_refused(gateway, secondment_db, f"/v1/cadres/{other.cadre_id}/member-link", 409,
                                 headers=admin_headers, json={"member_id": member, "linked_on": today})
    assert f"already linked to cadre {seconded.cadre_id}" in taken["detail"]

    # The query membership's committee rule asks (services/gateway/readmodels/cadres.py), on the real read model.
    found = (seconded.cadre_id, seconded.secondment_id)
    assert await seconded_to_branch(read_db, member, outstation, date(2024, 3, 1)) == found
    assert await seconded_to_branch(read_db, member, outstation, county_today()) == found  # away, no end recorded
    assert await seconded_to_branch(read_db, member, outstation, date(2024, 2, 29)) is None  # before departure
    assert await seconded_to_branch(read_db, member, home, date(2024, 3, 1)) is None  # not placed there
    assert await seconded_to_branch(read_db, other_member, outstation, date(2024, 3, 1)) is None  # not linked

    # Back home: the branch query answers for the days away only.
    ended = await post(gateway, f"/v1/secondments/{seconded.secondment_id}/end",
                       {"outcome": "return_to_post", "last_day": "2026-02-28", "decided_on": today}, sending)
    await get(gateway, f"/v1/secondments/{seconded.secondment_id}", sending, min_position=ended["position"])
    assert await seconded_to_branch(read_db, member, outstation, date(2026, 2, 28)) == found
    assert await seconded_to_branch(read_db, member, outstation, date(2026, 3, 1)) is None


async def test_the_record_of_a_member_who_died_cannot_be_linked(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], secondment_db: asyncpg.Pool,
) -> None:
    today = str(county_today())
    home = (await post(gateway, "/v1/branches", branch_body(), admin_headers))["id"]
    member = await a_member(gateway, home, admin_headers)
    died = await post(gateway, f"/v1/members/{member}/death", {"died_on": today}, admin_headers)
    await get(gateway, f"/v1/members/{member}", admin_headers, min_position=died["position"])
    seconded = await second_a_cadre(gateway, admin_headers)
    problem = await assert_refused(gateway, secondment_db, f"/v1/cadres/{seconded.cadre_id}/member-link", 409,
                                   headers=admin_headers, json={"member_id": member, "linked_on": today})
    assert f"member {member} is deceased" in problem["detail"]
