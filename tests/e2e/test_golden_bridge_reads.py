"""Read models of secondments and leads at their edges, and who may read what."""

from __future__ import annotations

from typing import Any

import httpx

from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer
from tests.e2e.secondment_steps import lead_body, post, second_a_cadre, unique


async def get(gateway: httpx.AsyncClient, path: str, headers: dict[str, str], status: int = 200, **params: Any) -> Any:
    response = await gateway.get(path, params=params, headers=headers)
    assert response.status_code == status, f"{path}: {response.status_code} {response.text}"
    if status != 200:
        assert response.headers["content-type"] == "application/problem+json"
    return response.json()


async def test_the_five_percent_report_at_exactly_five_percent_and_one_person_short(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    township = unique("township")
    first = await second_a_cadre(gateway, admin_headers, township_id=township, headcount=40, departed_on="2024-03-01")

    async def on(day: str, position: int) -> dict[str, Any]:
        report = await get(gateway, "/v1/reports/secondment-targets", admin_headers, on=day, township=township,
                           min_position=position)
        (row,) = report["townships"]
        return {k: row[k] for k in ("headcount", "out", "required", "met", "percent_out")}

    # 1 of 40 is 2.5 %: one person short of the 2 required.
    assert await on("2024-06-01", first.position) == {
        "headcount": 40, "out": 1, "required": 2, "met": False, "percent_out": "2.50"}
    second = await second_a_cadre(gateway, admin_headers, township_id=township, headcount=0, departed_on="2024-05-01")
    # The second unit has no staff, so the township still counts 40: 2 of 40 is exactly 5 %.
    assert await on("2024-06-01", second.position) == {
        "headcount": 40, "out": 2, "required": 2, "met": True, "percent_out": "5.00"}
    assert (await on("2024-04-30", second.position))["out"] == 1  # before the second departure
    year = await get(gateway, "/v1/reports/secondment-targets", admin_headers, year=2024, as_of="2024-06-01",
                     township=township)
    assert (year["townships"][0]["status"], year["on"]) == ("met", "2024-06-01")
    await get(gateway, "/v1/reports/secondment-targets", admin_headers, 422, township=township)


async def test_sending_units_read_only_their_own_township(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    mine = await second_a_cadre(gateway, admin_headers)
    other = bearer(system, Role.TOWNSHIP_COMMITTEE, "township-somewhere-else")
    own = bearer(system, Role.TOWNSHIP_COMMITTEE, mine.township_id)
    await get(gateway, f"/v1/secondments/{mine.secondment_id}", other, 403, min_position=mine.position)
    await get(gateway, "/v1/reports/secondment-targets", other, 403, on="2025-01-01", township=mine.township_id)
    roster = await get(gateway, "/v1/secondments", other)
    assert all(r["township_id"] == "township-somewhere-else" for r in roster["items"])
    assert [r["secondment_id"] for r in (await get(gateway, "/v1/secondments", own))["items"]] == [
        mine.secondment_id]
    await get(gateway, "/v1/secondments", bearer(system, Role.MEMBER), 403)
    # Departed 2024-03-01 with no check-in yet: one is due three months on; the term ends two years on.
    due = await get(gateway, "/v1/secondments/due-items", own, on="2024-06-02")
    assert [(i["kind"], i["due_on"], i["overdue"]) for i in due["items"]] == [
        ("check_in_due", "2024-06-01", True), ("term_ends", "2026-02-28", False)]
    await get(gateway, "/v1/secondments/no-such-secondment", own, 404)


async def test_a_lead_is_stalled_after_exactly_the_policy_period_and_readers_see_only_their_leads(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    township = unique("township")
    member = bearer(system, Role.MEMBER, subject=unique("member"))
    member_id = "reader-member"
    mine = await post(gateway, "/v1/leads", lead_body(
        township, registrant_kind="member", registrant_id=member_id, registrant_name="Wu Fang",
        branch_id="branch-m", registered_on="2024-01-01"), bearer(system, Role.MEMBER, subject=member_id))
    theirs = await post(gateway, "/v1/leads", lead_body(township, registered_on="2024-01-01"), admin_headers)

    async def stalled(as_of: str) -> bool:
        lead = await get(gateway, f"/v1/leads/{mine['id']}", admin_headers, as_of=as_of,
                         min_position=mine["position"])
        return bool(lead["stalled"])

    # 30 days without progress (policy) from 1 January: stalled from 31 January, not a day earlier.
    assert (await stalled("2024-01-30"), await stalled("2024-01-31")) == (False, True)
    pipeline = await get(gateway, "/v1/reports/lead-pipeline", admin_headers, township=township, as_of="2024-01-31",
                         min_position=theirs["position"])
    assert (pipeline["townships"][0]["by_stage"]["registered"], pipeline["townships"][0]["stalled"]) == (2, 2)

    me = bearer(system, Role.MEMBER, subject=member_id)
    assert [lead["lead_id"] for lead in (await get(gateway, "/v1/leads", me))["items"]] == [mine["id"]]
    await get(gateway, f"/v1/leads/{theirs['id']}", me, 403)
    await get(gateway, f"/v1/leads/{mine['id']}", member, 403)  # another member
    secretary = bearer(system, Role.BRANCH_SECRETARY, "branch-x")
    assert [lead["lead_id"] for lead in (await get(gateway, "/v1/leads", secretary, township=township))["items"]] == [
        theirs["id"]]
    await get(gateway, "/v1/leads", secretary, 403, branch_id="branch-y")
    await get(gateway, "/v1/reports/lead-pipeline", secretary, 403)


async def test_the_gateway_is_ready_when_every_service_answers(system: Settings, gateway: httpx.AsyncClient) -> None:
    ready = await gateway.get("/readyz")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert {checks[s] for s in ("postgresql", "kafka", "membership", "secondment", "investment")} == {"ok"}
