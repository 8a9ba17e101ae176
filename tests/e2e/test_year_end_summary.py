"""The demo county's year-end summary (issue 13 item 2), checked against numbers written here by hand — the same
ones tests/e2e/test_demo_targets.py and test_demo_results.py derive from the demo's construction — as JSON and CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import httpx

from demo.investment import load_results
from demo.membership import LATE_TOWNSHIP, TOWNSHIPS, load
from demo.workers import load_migrant_services
from services.kernel.settings import Settings
from tests.e2e.conftest import eventually

DEMO = (*TOWNSHIPS, LATE_TOWNSHIP)


async def test_the_demo_countys_year_end_summary_gives_the_numbers_written_by_hand(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    base_url = f"http://127.0.0.1:{system.gateway_port}"
    await load(base_url, system.admin_token)
    results = await load_results(base_url, system.admin_token)
    await load_migrant_services(base_url, system.admin_token)
    # Loading again (a second ./gb run on the same data) fails on nothing and adds nothing: the numbers below
    # count one case per township and two workers exported.
    await load_migrant_services(base_url, system.admin_token)
    # As known on 24 November 2026 (a day: the effective day), so the figures do not move with the calendar.
    params = {"year": 2026, "as_of": "2026-11-24", "min_position": results.secondment_position}

    async def summary() -> dict[str, dict[str, object]] | None:
        answer = await gateway.get("/v1/reports/year-end", params=params, headers=admin_headers)
        assert answer.status_code == 200, answer.text
        rows = {r["township_id"]: r for r in answer.json()["rows"] if r["level"] == "township"
                and r["township_id"] in DEMO}
        branches = [r for r in answer.json()["rows"] if r["level"] == "branch" and r["township_id"] in DEMO]
        done = len(branches) == 13 and sum(int(str(r["admissions"])) for r in rows.values()) == 7 \
            and sum(int(str(r["workers_exported"])) for r in rows.values()) == 2 \
            and sum(int(str(r["service_cases_closed"])) for r in rows.values()) == 3
        return rows if done else None

    rows = await eventually(summary, what="the demo county in the year-end summary")
    short = {t.removeprefix("township-"): r for t, r in rows.items()}
    #            by 30 June, township target, cadres out, required, 5 % status
    assert {t: (r["branches_by_30_june"], r["township_target"], r["cadres_out"], r["cadres_required"],
                r["secondment_target"]) for t, r in short.items()} == {
        "qiaotou": (3, "met", 3, 3, "met"),
        "shuikou": (3, "met", 2, 3, "open"),
        "longtan": (3, "met", 5, 4, "met"),
        "baishi": (2, "met", 2, 2, "met"),
        "heping": (0, "missed", 0, 2, "open"),   # its only branch comes on 15 August
    }
    assert sum(int(str(r["activists"])) for r in rows.values()) == 12
    assert sum(int(str(r["admissions"])) for r in rows.values()) == 7
    # Dues (demo/membership.py): three members a branch paid January–March, 120 each, by 24 November; branch 0's
    # first member gave 1,000 yuan on 1 July, remitted to the Centre. (Expected grows with the monthly runs other
    # tests make; what was paid does not.)
    assert {t: (Decimal(str(r["dues_paid_yuan"])), Decimal(str(r["dues_to_centre_yuan"])))
            for t, r in short.items()} == {
        "qiaotou": (1080, 1000), "shuikou": (1080, 0), "longtan": (1080, 0), "baishi": (1080, 0), "heping": (360, 0)}
    # Migrant-worker services (demo/workers.py): four workers on every register, a case in each township —
    # closed in Qiaotou, Shuikou and Longtan, overdue in Baishi (referred 2 September, 30 days), open in Heping —
    # and Qiaotou's export group of two to Shenzhen, where its branch #1 is.
    assert {t: (r["workers_registered"], r["service_cases_requested"], r["service_cases_closed"],
                r["service_cases_overdue"], r["workers_exported"]) for t, r in short.items()} == {
        "qiaotou": (4, 1, 1, 0, 2), "shuikou": (4, 1, 1, 0, 0), "longtan": (4, 1, 1, 0, 0),
        "baishi": (4, 1, 0, 1, 0), "heping": (4, 1, 0, 0, 0)}
    answer = await gateway.get("/v1/reports/year-end", params=params, headers=admin_headers)
    exported = {r["branch_id"]: r["workers_exported"] for r in answer.json()["rows"]
                if r["level"] == "branch" and r["workers_exported"]}
    first_branch = [r["branch_id"] for r in answer.json()["rows"] if r["level"] == "branch"
                    and r["township_id"] == "township-qiaotou"]
    assert list(exported.values()) == [2] and next(iter(exported)) in first_branch

    as_csv = await gateway.get("/v1/reports/year-end", params={**params, "format": "csv"}, headers=admin_headers)
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    from_csv = {r["township_id"]: r for r in table if r["level"] == "township" and r["township_id"] in DEMO}
    assert {t: (int(r["branches_by_30_june"]), r["township_target"], int(r["activists"]), int(r["admissions"]),
                Decimal(r["capital_arrived_yuan"])) for t, r in from_csv.items()} == {
        t: (r["branches_by_30_june"], r["township_target"], r["activists"], r["admissions"],
            Decimal(str(r["capital_arrived_yuan"]))) for t, r in rows.items()}
