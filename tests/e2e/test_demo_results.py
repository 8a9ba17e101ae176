"""The run command's demo secondments and leads, loaded through the API, give reports written here by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from demo.investment import load_results
from demo.membership import LATE_TOWNSHIP, TOWNSHIPS, load
from services.kernel.settings import Settings
from tests.e2e.conftest import eventually

DEMO = (*TOWNSHIPS, LATE_TOWNSHIP)
FIELDS = ("headcount", "out", "out_self_found", "out_organisational", "required", "met", "status")
STAGES = ("registered", "contacted", "visit", "negotiating", "signed", "funds_arriving", "landed", "dropped")


def short(township_id: str) -> str:
    return township_id.removeprefix("township-")


async def get(gateway: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    response = await gateway.get(path, params=params, headers=headers)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
    return response.json()


async def test_the_demo_secondments_and_leads_give_the_reports_they_were_built_to_give(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    base_url = f"http://127.0.0.1:{system.gateway_port}"
    await load(base_url, system.admin_token)  # the branches and members the leads are credited to
    results = await load_results(base_url, system.admin_token)
    counts = {k: v for k, v in results.counts.items() if k != "written"}
    assert counts == {
        "units": 10, "cadres": 15, "nominations": 16, "rejections": 1, "departures": 14, "check_ins": 45,
        "contributions": 6, "ends": 2, "leads": 20, "instalments": 8, "landed": 3, "reward_claims": 3, "dropped": 3,
    }
    again = await load_results(base_url, system.admin_token)  # idempotent: every command replays its answer
    assert again.counts == {**counts, "written": 0}
    assert again.secondments.secondments == results.secondments.secondments
    assert again.leads.ids == results.leads.ids

    # --- the 5 % target (required = ceil(headcount × 5 / 100)) -----------------------------------------
    async def targets(as_of: str) -> dict[str, dict[str, Any]]:
        body = await get(gateway, "/v1/reports/secondment-targets", admin_headers, year=2026, as_of=as_of,
                         min_position=results.secondment_position)
        assert body["on"] == as_of and body["year"] == 2026
        return {short(t["township_id"]): t for t in body["townships"] if t["township_id"] in DEMO}

    today = await targets("2026-11-24")
    assert {t: tuple(row[f] for f in FIELDS) for t, row in today.items()} == {
        #          headcount out self org required met   status
        "qiaotou": (60, 3, 2, 1, 3, True, "met"),     # exactly 5 %: met
        "shuikou": (41, 2, 1, 1, 3, False, "open"),   # 26 + 15 after 1 July; one short, until 31 December
        "longtan": (80, 5, 3, 2, 4, True, "met"),     # Huang Li's early end (last day 31 May) no longer counts
        "baishi": (38, 2, 2, 0, 2, True, "met"),      # ceil(1.9) = 2
        "heping": (25, 0, 0, 0, 2, False, "open"),    # one nomination rejected, the other approved, not yet left
    }
    assert {t: Decimal(row["percent_out"]) for t, row in today.items()} == {
        "qiaotou": Decimal("5.00"), "shuikou": Decimal("4.88"), "longtan": Decimal("6.25"),
        "baishi": Decimal("5.26"), "heping": Decimal("0.00")}

    february = await targets("2026-02-28")  # Chen Gang's last day at term (departed 2024-03-01)
    assert {t: tuple(row[f] for f in FIELDS) for t, row in february.items()} == {
        "qiaotou": (60, 2, 2, 0, 3, False, "open"),   # Chen Gang and Zhou Min
        "shuikou": (39, 2, 1, 1, 2, True, "met"),     # the water station still 13: ceil(1.95) = 2
        "longtan": (80, 4, 3, 1, 4, True, "met"),     # Huang Li still out: exactly 5 %
        "baishi": (38, 1, 1, 0, 2, False, "open"),
        "heping": (25, 0, 0, 0, 2, False, "open"),
    }
    march = await get(gateway, "/v1/reports/secondment-targets", admin_headers, on="2026-03-01",
                      township="township-qiaotou")
    assert [(t["out"], t["met"]) for t in march["townships"]] == [(1, False)]  # Chen Gang back at his post

    # --- the lead pipeline on 24 November 2026 ---------------------------------------------------------
    pipeline = await get(gateway, "/v1/reports/lead-pipeline", admin_headers, as_of="2026-11-24",
                         min_position=results.investment_position)
    rows = {short(t["township_id"]): t for t in pipeline["townships"] if t["township_id"] in DEMO}
    assert {t: tuple(row["by_stage"][s] for s in STAGES) for t, row in rows.items()} == {
        #          reg cont visit neg signed funds landed dropped
        "qiaotou": (1, 1, 0, 0, 0, 1, 1, 1),
        "shuikou": (0, 0, 1, 1, 0, 0, 1, 0),
        "longtan": (0, 1, 0, 0, 1, 1, 1, 1),
        "baishi": (1, 0, 0, 1, 1, 0, 0, 0),
        "heping": (1, 1, 0, 0, 0, 0, 0, 1),
    }
    assert {t: (row["duplicates"], row["stalled"], row["homecoming"], Decimal(row["arrived_yuan"]))
            for t, row in rows.items()} == {
        "qiaotou": (0, 0, 1, Decimal(1_250_000)),  # 400,000 + 350,000 + 300,000 landed; 200,000 arriving
        "shuikou": (1, 1, 0, Decimal(2_000_000)),  # the mushroom plant registered twice; the kiln stalled
        "longtan": (0, 1, 2, Decimal(3_300_000)),  # 1,500,000 + 1,000,000 landed; 800,000 arriving, stalled
        "baishi": (0, 0, 0, Decimal(0)),
        "heping": (0, 1, 0, Decimal(0)),           # the bamboo workshop: registered 1 September, never contacted
    }
    assert sum(sum(row["by_stage"].values()) + row["duplicates"] for row in rows.values()) == 20
    # The homecoming fast lane (回归绿色通道): Longtan's orchard, 22 days since its funds, is stalled by the lane's
    # 15 days though an ordinary lead is not before 30.
    assert (pipeline["stalled_after_days"], pipeline["homecoming_stalled_after_days"]) == (30, 15)
    lane = rows["longtan"]["homecoming_lane"]
    assert (lane["by_stage"]["funds_arriving"], lane["by_stage"]["landed"], lane["stalled"], lane["landed"]) == (
        1, 1, 1, 1)
    assert (Decimal(lane["promised_yuan"]), Decimal(lane["arrived_yuan"])) == (Decimal(3_700_000), Decimal(3_300_000))
    homecoming = await get(gateway, "/v1/leads", admin_headers, township="township-longtan", homecoming="true",
                           stalled="true", on="2026-11-24")
    assert [lead["lead_id"] for lead in homecoming["items"]] == [results.leads.ids["longtan-orchard"]]

    # --- the funds-credit policy: Zhou Min's funds on the secondment and her commendation -------------
    zhou_min = results.secondments.secondments["qiaotou-2"]

    async def commended() -> dict[str, Any] | None:
        view: dict[str, Any] = await get(gateway, f"/v1/secondments/{zhou_min}", admin_headers)
        return view if len(view["contributions"]) == 4 and view["commendation_proposed_on"] else None

    view = await eventually(commended, timeout=60, what="Zhou Min's four instalments and her commendation")
    precision, food = results.leads.ids["qiaotou-precision"], results.leads.ids["qiaotou-food"]
    assert sorted((c["contribution_id"], c["kind"], Decimal(c["amount_yuan"]), c["contributed_on"])
                  for c in view["contributions"]) == sorted([
        (f"funds:{precision}:1", "capital", Decimal(400_000), "2025-12-15"),
        (f"funds:{precision}:2", "capital", Decimal(350_000), "2026-03-02"),
        (f"funds:{precision}:3", "capital", Decimal(300_000), "2026-05-12"),
        (f"funds:{food}:1", "capital", Decimal(200_000), "2026-11-10")])
    # 400,000 + 350,000 + 300,000 = 1,050,000 ≥ 1,000,000 on 12 May: proposed by the policy that day.
    assert Decimal(view["capital_total_yuan"]) == 1_250_000
    assert view["commendation_proposed_on"] == "2026-05-12"
    assert view["commendation"]["qualified"] == ["capital"]
    # A major contribution of each kind: Sun Qiang by projects (his second, 10 September), Lin Bo by talent
    # (5 people on 20 August).
    expected = {"shuikou-1": (["project"], "2026-09-10", 2, 0), "longtan-1": (["talent"], "2026-08-20", 0, 5)}
    for key, (kinds, day, projects, people) in expected.items():
        seconded = await get(gateway, f"/v1/secondments/{results.secondments.secondments[key]}", admin_headers,
                             min_position=results.secondment_position)
        assert (seconded["commendation"]["qualified"], seconded["commendation_proposed_on"]) == (kinds, day), key
        assert (seconded["projects"], seconded["talent_people"]) == (projects, people), key
        assert seconded["commendation"]["policy_version"] == "secondment-2026.1"
    assert (view["stage"], view["departed_on"], view["planned_end"]) == ("away", "2025-06-01", "2027-05-31")

    lead = await get(gateway, f"/v1/leads/{precision}", admin_headers)
    assert (lead["stage"], Decimal(lead["reward_claim"]["amount"])) == ("landed", 24_000)  # 3 ‰ of 8,000,000

