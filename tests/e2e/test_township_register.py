"""The register of townships: every target report lists every township, met or missed (issue 13 item 4)."""

from __future__ import annotations

import uuid

import httpx

from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer, branch_body


async def test_the_30_june_report_lists_a_township_without_a_branch_as_missed(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    county = f"county-{uuid.uuid4().hex[:6]}"
    idle, busy = f"township-idle-{uuid.uuid4().hex[:6]}", f"township-busy-{uuid.uuid4().hex[:6]}"
    for org_id, kind, parent in ((county, "county_committee", None), (idle, "township_committee", county),
                                 (busy, "township_committee", county)):
        created = await gateway.post("/v1/organisations", headers=admin_headers, json={
            "org_id": org_id, "name": f"{org_id} Party committee", "kind": kind, "parent_id": parent,
            "approval_authority": True, "established_on": "2001-07-01"})
        assert created.status_code == 201, created.text
    branch = await gateway.post("/v1/branches", headers=admin_headers,
                                json=branch_body(home_org_id=busy, established_on="2026-03-10"))
    assert branch.status_code == 201, branch.text
    position = branch.json()["position"]

    report = await gateway.get("/v1/reports/targets", headers=admin_headers,
                               params={"year": 2026, "on": "2026-07-01", "min_position": position})
    assert report.status_code == 200, report.text
    rows = {t["township_id"]: t for t in report.json()["townships"]}
    assert rows[idle]["status"] == "missed" and rows[idle]["branches_by_deadline"] == []
    assert rows[busy]["status"] == "met" and rows[busy]["branches_by_deadline"] == [branch.json()["id"]]

    register = await gateway.get("/v1/reports/townships", headers=admin_headers,
                                 params={"on": "2026-07-01", "min_position": position})
    assert register.status_code == 200, register.text
    listed = {t["township_id"]: t for t in register.json()["townships"]}
    assert listed[idle]["recorded"] is True and listed[idle]["outstation_branches"] == []
    assert listed[busy]["outstation_branches"] == [branch.json()["id"]]

    # A township committee sees its own row only.
    own = await gateway.get("/v1/reports/targets", headers=bearer(system, Role.TOWNSHIP_COMMITTEE, idle),
                            params={"year": 2026, "on": "2026-07-01"})
    assert own.status_code == 200, own.text
    assert [t["township_id"] for t in own.json()["townships"]] == [idle]
