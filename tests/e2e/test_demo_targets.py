"""The run command's demo county, loaded through the API, gives the targets report written here by hand."""

from __future__ import annotations

import httpx

from demo.membership import BRANCHES, LATE_TOWNSHIP, TOWNSHIPS, load
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer, eventually


async def test_the_demo_county_meets_the_targets_it_was_built_to_meet(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    counts = await load(f"http://127.0.0.1:{system.gateway_port}", system.admin_token)
    assert (counts["branches"], counts["applications"], counts["admissions"]) == (13, 19, 7)
    again = await load(f"http://127.0.0.1:{system.gateway_port}", system.admin_token)  # idempotent
    assert again == counts

    async def report() -> dict[str, object] | None:
        r = await gateway.get("/v1/reports/targets", params={"year": 2026}, headers=admin_headers)
        assert r.status_code == 200, r.text
        body = r.json()
        demo = [b for b in body["branches"] if b["township_id"] in (*TOWNSHIPS, LATE_TOWNSHIP)]
        done = len(demo) == BRANCHES and sum(b["admissions"] for b in demo) == 7
        return body if done else None

    body = await eventually(report, what="the demo county in the targets report")
    townships = {t["township_id"]: t for t in body["townships"]}
    # Branch n is established on 10 January + 17n days: by 30 June Qiaotou, Shuikou and Longtan have three
    # each, Baishi two (its third, n = 11, on 16 July); Heping's only branch comes on 15 August.
    assert {t: townships[t]["status"] for t in (*TOWNSHIPS, LATE_TOWNSHIP)} == {
        "township-qiaotou": "met", "township-shuikou": "met", "township-longtan": "met", "township-baishi": "met",
        "township-heping": "missed",
    }
    assert [len(townships[t]["branches_by_deadline"]) for t in TOWNSHIPS] == [3, 3, 3, 2]
    demo = [b for b in body["branches"] if b["township_id"] in (*TOWNSHIPS, LATE_TOWNSHIP)]
    # Branch n (0-based, by establishment date): n % 3 activists; an admission when n is even.
    assert sorted((b["activists"], b["admissions"]) for b in demo) == sorted(
        (n % 3, 1 if n % 2 == 0 else 0) for n in range(13))
    assert sum(b["activists"] for b in demo) == 12 and sum(b["admissions"] for b in demo) == 7
    assert sorted(b["status"] for b in demo).count("met") == 2  # n = 2 and n = 8: two activists and one admission

    township = bearer(system, Role.TOWNSHIP_COMMITTEE, "township-heping")
    own = (await gateway.get("/v1/reports/targets", params={"year": 2026}, headers=township)).json()
    assert [t["township_id"] for t in own["townships"]] == ["township-heping"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, "any-branch")
    assert (await gateway.get("/v1/reports/targets", params={"year": 2026}, headers=secretary)).status_code == 403
