"""A host organisation on the real system: registered by the county, linked to the branches it guides (a new
branch at its founding, an older one named by a label only through a later link), it records the meetings it
holds and who of their members attended; that attendance counts as their organisational life, and other
hosts, the branches' secretaries and unlinked members stay out (403 and 422)."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import httpx

from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.dates import add_months
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer, branch_body, member_body
from tests.e2e.secondment_steps import post, unique

LATE = "entered from the minutes"


async def test_a_host_organisation_records_the_life_it_holds_for_the_branches_it_guides(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    today = county_today()
    # Dated from today: the branches' own meetings seven months ago, the host's a month ago.
    seven_ago, one_ago = str(add_months(today, -7)), str(add_months(today, -1))
    host_id = unique("host-longhua")
    await post(gateway, "/v1/host-organisations", {
        "org_id": host_id, "name": "Longhua street Party committee", "locality": "Longhua, Shenzhen",
        "registered_on": str(add_months(today, -8)), "backdating_reason": LATE}, admin_headers)
    founded = branch_body(host_org_id=host_id, established_on="2025-01-02")
    del founded["host_guidance_org"]
    guided = (await post(gateway, "/v1/branches", founded, admin_headers))["id"]
    older, unlinked = [(await post(gateway, "/v1/branches", branch_body(established_on="2025-01-02"),
                                   admin_headers))["id"] for _ in range(2)]  # named by a label only
    # The older branch is linked by its home township; another township may not.
    link = {"host_org_id": host_id, "linked_on": str(today)}
    await assert_refused(gateway, membership_db, f"/v1/organisations/{older}/host-guidance", 403,
                         headers=bearer(system, Role.TOWNSHIP_COMMITTEE, "township-elsewhere"), json=link)
    linked = await post(gateway, f"/v1/organisations/{older}/host-guidance", link,
                        bearer(system, Role.TOWNSHIP_COMMITTEE, "township-test"))
    m1, m2, m3 = [(await post(gateway, "/v1/members", member_body(branch, name=name), admin_headers))["id"]
                  for branch, name in ((guided, "Wang Fang"), (older, "Liu Yang"), (unlinked, "Sun Li"))]

    # Each branch's own meeting seven months ago, its member there.
    for branch, member in ((guided, m1), (older, m2)):
        await post(gateway, "/v1/meetings", {"org_id": branch, "kind": "theme_day", "held_on": seven_ago,
                                             "present_ids": [member], "minutes_ref": f"minutes/{branch}.pdf",
                                             "backdating_reason": LATE}, admin_headers)

    host = bearer(system, Role.HOST_ORGANISATION, host_id)

    def meeting(**overrides: Any) -> dict[str, Any]:
        return {"org_id": host_id, "kind": "theme_day", "held_on": one_ago, "present_ids": [m1],
                "absent_ids": [m2], "minutes_ref": "minutes/longhua-september.pdf", "backdating_reason": LATE,
                **overrides}

    # Members of a branch it does not guide are not the host's to record (422); other hosts and the branches'
    # own secretaries do not record the host's meetings (403).
    await assert_refused(gateway, membership_db, "/v1/meetings", 422, headers=host,
                         json=meeting(present_ids=[m1, m3]))
    for outsider in (bearer(system, Role.HOST_ORGANISATION, unique("host-other")),
                     bearer(system, Role.BRANCH_SECRETARY, guided)):
        await assert_refused(gateway, membership_db, "/v1/meetings", 403, headers=outsider, json=meeting())
    held = await post(gateway, "/v1/meetings", meeting(), host)

    recorded = json.loads(await membership_db.fetchval(
        "SELECT data FROM events WHERE type = 'gb.membership.meeting_recorded.v1' AND position = $1",
        held["position"]))
    assert recorded["host_meeting"] and recorded["present_ids"] == [m1] and recorded["entitled_voters"] == 0

    # The attendance counts where the rules count organisational life: the lapse rule (six months without it)
    # lets the branch decide to remove the member last seen seven months ago, not the one at the host's meeting.
    def removal(member: str) -> tuple[str, dict[str, Any]]:
        return f"/v1/members/{member}/removal-decision", {
            "decided_on": str(today), "ground": "no_dues_or_organisational_life", "reason": "no life for months",
            "minutes_ref": "minutes/removal.pdf"}

    path, body = removal(m1)
    problem = await assert_refused(gateway, membership_db, path, 422, headers=admin_headers, json=body)
    assert "1 months without organisational life" in problem["detail"], problem
    path, body = removal(m2)
    await post(gateway, path, body, admin_headers)

    # The host reads its own meetings; another host gets 403.
    path = f"/v1/organisations/{host_id}/meeting-compliance"
    params = {"year": add_months(today, -1).year, "on": str(today), "min_position": held["position"]}
    r = await gateway.get(path, params=params, headers=host)
    assert r.status_code == 200, r.text
    theme = next(line for line in r.json()["requirements"] if line["requirement"] == "theme_day")
    assert theme["held"] == 1
    other = await gateway.get(path, params=params, headers=bearer(system, Role.HOST_ORGANISATION, unique("h")))
    assert other.status_code == 403, other.text

    # The branch directory shows the link, not a label only.
    for branch in (guided, older):
        r = await gateway.get(f"/v1/branches/{branch}", params={"min_position": linked["position"]},
                              headers=admin_headers)
        assert r.status_code == 200 and r.json()["host_org_id"] == host_id, r.text
        assert r.json()["host_guidance_org"] == "Longhua street Party committee"
