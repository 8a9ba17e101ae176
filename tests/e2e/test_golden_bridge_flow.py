"""A cadre is seconded, registers a lead, the lead lands with funds in two instalments; the contribution
appears on the secondment, a commendation is proposed, and the cadre returns at the end of the term.

Every step goes through the gateway against the real services, Kafka and PostgreSQL; every read
model on the way is checked.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg
import httpx

from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer, eventually
from tests.e2e.secondment_steps import lead_body, post, second_a_cadre


async def get(gateway: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    response = await gateway.get(path, params=params, headers=headers)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
    return response.json()


def row(report: dict[str, Any], township_id: str, key: str = "townships") -> dict[str, Any]:
    (found,) = [r for r in report[key] if r["township_id"] == township_id]
    return found


async def test_a_cadres_lead_lands_and_the_credit_reaches_the_secondment(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], secondment_db: asyncpg.Pool,
) -> None:
    # The sending unit (a township-committee token of the cadre's township) seconds the cadre; the county approves.
    seconded = await second_a_cadre(gateway, admin_headers, departed_on="2024-03-01", headcount=20)
    township, sid, cadre_id = seconded.township_id, seconded.secondment_id, seconded.cadre_id
    sending = bearer(system, Role.TOWNSHIP_COMMITTEE, township, subject="sending-unit")
    cadre = bearer(system, Role.MEMBER, subject=cadre_id)  # a cadre refers leads with a member token

    roster = await get(gateway, f"/v1/secondments/{sid}", sending, min_position=seconded.position)
    assert (roster["stage"], roster["departed_on"], roster["planned_end"]) == ("away", "2024-03-01", "2026-02-28")
    assert roster["next_check_in_due"] == "2024-06-01"
    check_in = await post(gateway, f"/v1/secondments/{sid}/check-ins",
                          {"checked_in_on": "2024-05-20", "thinking": "settled, studying the market",
                           "work": "sales assistant at the host enterprise"}, sending)
    roster = await get(gateway, f"/v1/secondments/{sid}", sending, min_position=check_in["position"])
    assert roster["next_check_in_due"] == "2024-08-20"
    # The sending unit's roster and units: who is where, until when; the headcount behind the 5 % target.
    (listed,) = (await get(gateway, "/v1/secondments", sending, as_of="2024-09-01"))["items"]
    assert (listed["secondment_id"], listed["cadre_name"], listed["placement"]["host_name"], listed["planned_end"],
            listed["check_in_overdue"]) == (sid, "Chen Gang", "Pengcheng Electronics Ltd", "2026-02-28", True)
    (unit,) = (await get(gateway, "/v1/units", sending))["items"]
    assert (unit["unit_id"], unit["headcount"]) == (seconded.unit_id, 20)

    # The 5 % report while the cadre is out: 1 of 20 is exactly 5 %.
    targets = await get(gateway, "/v1/reports/secondment-targets", admin_headers, on="2025-06-01", township=township)
    assert {k: row(targets, township)[k] for k in ("headcount", "out", "required", "met")} == {
        "headcount": 20, "out": 1, "required": 1, "met": True}

    # The cadre, as the county's information officer, registers a lead under their own name.
    lead = await post(gateway, "/v1/leads", lead_body(
        township, registrant_kind="cadre", registrant_id=cadre_id, registrant_name="Chen Gang",
        branch_id="branch-shenzhen", investor="Pengcheng Electronics Ltd", project=f"Circuit board plant {sid[:6]}",
        promised_amount="1500000", registered_on="2024-04-01"), cadre)
    lead_id = lead["id"]
    for stage, day in (("contacted", "2024-04-10"), ("visit", "2024-04-25"), ("signed", "2024-06-01")):
        await post(gateway, f"/v1/leads/{lead_id}/progress", {"to_stage": stage, "advanced_on": day}, cadre)
    await post(gateway, f"/v1/leads/{lead_id}/funds",
               {"amount": "600000", "arrived_on": "2024-07-01", "reference": "V-001"}, sending)

    # The policy credits the first instalment to the secondment: below the threshold, no commendation yet.
    async def contributions(n: int) -> dict[str, Any] | None:
        view = await get(gateway, f"/v1/secondments/{sid}", admin_headers)
        return view if len(view["contributions"]) >= n else None

    view = await eventually(lambda: contributions(1), what="the first instalment on the secondment")
    assert Decimal(view["capital_total_yuan"]) == 600_000 and view["commendation_proposed_on"] is None

    await post(gateway, f"/v1/leads/{lead_id}/funds",
               {"amount": "500000", "arrived_on": "2025-01-15", "reference": "V-002"}, sending)
    view = await eventually(lambda: contributions(2), what="the second instalment on the secondment")
    assert sorted((c["contribution_id"], c["kind"], Decimal(c["amount_yuan"]), c["contributed_on"])
                  for c in view["contributions"]) == [
        (f"funds:{lead_id}:1", "capital", 600_000, "2024-07-01"),
        (f"funds:{lead_id}:2", "capital", 500_000, "2025-01-15")]
    # 1,100,000 yuan ≥ the 1,000,000 threshold: the commendation is proposed on the day it was reached.
    assert Decimal(view["capital_total_yuan"]) == 1_100_000
    assert view["commendation_proposed_on"] == "2025-01-15"
    assert await secondment_db.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'gb.secondment.commendation_proposed.v1'",
        sid) == 1

    landed = await post(gateway, f"/v1/leads/{lead_id}/landing",
                        {"completed_on": "2025-03-01", "actual_fixed_investment": "12000000"}, sending)
    claim = await post(gateway, f"/v1/leads/{lead_id}/reward-claims",
                       {"claimant_id": cadre_id, "claimed_on": "2025-04-01"}, cadre)
    # Lead read models: the lead, the pipeline, credit by branch and by cadre, the reward claim.
    lead_view = await get(gateway, f"/v1/leads/{lead_id}", cadre, min_position=claim["position"])
    assert lead_view["stage"] == "landed" and Decimal(lead_view["arrived_total"]) == 1_100_000
    assert [(i["instalment"], Decimal(i["amount"])) for i in lead_view["instalments"]] == [(1, 600_000), (2, 500_000)]
    # 3 ‰ of the first 10 million + 2 ‰ of the next 2 million = 30,000 + 4,000 yuan.
    assert Decimal(lead_view["reward_claim"]["amount"]) == 34_000
    assert [Decimal(x["amount"]) for x in lead_view["reward_claim"]["lines"] if Decimal(x["amount"])] == [30_000, 4_000]
    pipeline = await get(gateway, "/v1/reports/lead-pipeline", sending, township=township, as_of="2025-04-01",
                         min_position=landed["position"])
    by_township = row(pipeline, township)
    assert by_township["by_stage"]["landed"] == 1 and sum(by_township["by_stage"].values()) == 1
    assert Decimal(by_township["arrived_yuan"]) == 1_100_000
    credit = await get(gateway, "/v1/reports/landed", admin_headers, township=township)
    (registrant,) = [r for r in credit["registrants"] if r["registrant_id"] == cadre_id]
    assert (registrant["registrant_kind"], registrant["registrant_name"], registrant["landed"],
            Decimal(registrant["arrived_yuan"])) == ("cadre", "Chen Gang", 1, 1_100_000)
    (branch,) = [b for b in credit["branches"] if b["branch_id"] == "branch-shenzhen" and b["township_id"] == township]
    assert branch["landed"] == 1
    claims = await get(gateway, "/v1/reward-claims", admin_headers, township=township)
    assert [(c["lead_id"], Decimal(c["amount"])) for c in claims["items"]] == [(lead_id, 34_000)]
    # The township's 2025 results: the lead landed and its second instalment arrived in 2025; the cadre was out
    # on 31 December (1 of 20 = exactly 5 %).
    performance = await get(gateway, "/v1/reports/performance", admin_headers, year=2025, township=township)
    (results,) = performance["townships"]
    assert results["investment"] == {"leads_registered": 0, "projects_landed": 1, "capital_arrived_yuan": "500000",
                                     "actual_fixed_investment_yuan": "12000000"}
    assert (results["secondment_target"]["out"], results["secondment_target"]["status"]) == (1, "met")
    by_2024 = row(await get(gateway, "/v1/reports/performance", admin_headers, year=2024, township=township),
                  township)["investment"]
    assert (by_2024["leads_registered"], Decimal(by_2024["capital_arrived_yuan"])) == (1, 600_000)

    # Term over (24 months from 2024-03-01): back to the original post, as snapshotted at departure.
    end = await post(gateway, f"/v1/secondments/{sid}/end",
                     {"outcome": "return_to_post", "last_day": "2026-02-28", "decided_on": "2026-02-28"}, sending)
    view = await get(gateway, f"/v1/secondments/{sid}", sending, min_position=end["position"])
    assert (view["stage"], view["last_day"]) == ("returned", "2026-02-28")
    assert view["snapshot"]["post"] == "deputy head, agricultural station"
    cadre_view = await get(gateway, f"/v1/cadres/{cadre_id}", sending)
    assert cadre_view["post"] == view["snapshot"]["post"]
    # Out through the term's last day, not the day after.
    last_day = await get(gateway, "/v1/reports/secondment-targets", admin_headers, on="2026-02-28", township=township)
    day_after = await get(gateway, "/v1/reports/secondment-targets", admin_headers, on="2026-03-01", township=township)
    assert (row(last_day, township)["out"], row(day_after, township)["out"]) == (1, 0)
    assert row(day_after, township)["met"] is False
