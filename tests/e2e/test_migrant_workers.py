"""Migrant-worker services on the real system (issue 13.1): a micro-credit certificate issued by the labour
bureau, a legal-aid case through the justice bureau, a labour-export group to a destination with an outstation
branch, and a bureau refused (403) on another bureau's case."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer, branch_body, eventually

ALL_CONSENT = ["register", "services", "share_with_bureaus", "labour_export"]


class Town:
    def __init__(self, system: Settings, township: str) -> None:
        self.township = township
        self.committee = bearer(system, Role.TOWNSHIP_COMMITTEE, township)
        self.labour = bearer(system, Role.LABOUR_BUREAU, "county-labour-bureau")
        self.credit = bearer(system, Role.CREDIT_COOPERATIVE, "county-rural-credit-cooperative")
        self.justice = bearer(system, Role.JUSTICE_BUREAU, "county-justice-bureau")
        self.insurance = bearer(system, Role.INSURANCE, "county-life-insurer")


async def _post(gateway: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str],
                status: int = 201) -> dict[str, Any]:
    answer = await gateway.post(path, json=body, headers=headers)
    assert answer.status_code == status, f"{path}: {answer.status_code} {answer.text}"
    result: dict[str, Any] = answer.json()
    return result


async def _read(gateway: httpx.AsyncClient, path: str, headers: dict[str, str], accepted: dict[str, Any]
                ) -> dict[str, Any]:
    answer = await gateway.get(path, params={"min_position": accepted["position"]}, headers=headers)
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
    result: dict[str, Any] = answer.json()
    return result


@pytest.fixture(scope="module")
async def town(system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> Town:
    run = uuid.uuid4().hex[:6]
    for body in ({"org_id": f"county-w-{run}", "name": f"County {run}", "kind": "county_committee",
                  "parent_id": None, "approval_authority": True, "established_on": "2026-01-01"},
                 {"org_id": f"township-w-{run}", "name": f"Township {run}", "kind": "township_committee",
                  "parent_id": f"county-w-{run}", "approval_authority": True, "established_on": "2026-01-05"}):
        await _post(gateway, "/v1/organisations", body, admin_headers)
    return Town(system, f"township-w-{run}")


async def _worker(gateway: httpx.AsyncClient, town: Town, consent: list[str] = ALL_CONSENT) -> str:
    today = str(county_today())
    accepted = await _post(gateway, "/v1/migrant-workers", {
        "township_id": town.township, "village": "Dongcun", "consent_scope": consent, "consent_on": today,
        "registered_on": today, "skills": ["masonry"]}, town.committee)
    return str(accepted["id"])


async def _case(gateway: httpx.AsyncClient, town: Town, kind: str) -> str:
    today = str(county_today())
    worker = await _worker(gateway, town)
    case = str((await _post(gateway, "/v1/service-cases", {
        "worker_id": worker, "kind": kind, "requested_on": today}, town.committee))["id"])
    await _post(gateway, f"/v1/service-cases/{case}/referral", {"referred_on": today}, town.committee)
    return case


async def test_a_micro_credit_certificate_from_request_to_issue_by_the_labour_bureau(
    gateway: httpx.AsyncClient, town: Town
) -> None:
    today = str(county_today())
    case = await _case(gateway, town, "micro_credit")
    issued = await _post(gateway, f"/v1/service-cases/{case}/documents", {
        "document_number": f"RS-{case[:8]}", "amount": "30000", "issued_on": today}, town.labour)
    row = await _read(gateway, f"/v1/service-cases/{case}", town.labour, issued)
    assert (row["stage"], row["bureau"], row["document_number"], row["certificate_amount"]) == (
        "issued", "labour_bureau", f"RS-{case[:8]}", "30000")
    assert row["due_by"] is not None and row["late"] is False
    # On to the credit cooperative, which lends within the certificate; the labour bureau no longer acts on it.
    await _post(gateway, f"/v1/service-cases/{case}/referral", {"referred_on": today}, town.committee)
    await _post(gateway, f"/v1/service-cases/{case}/decision", {
        "granted": True, "reference": "LOAN-1", "amount": "30000.01", "decided_on": today}, town.credit, 422)
    await _post(gateway, f"/v1/service-cases/{case}/closing", {"closed_on": today}, town.labour, 403)
    decided = await _post(gateway, f"/v1/service-cases/{case}/decision", {
        "granted": True, "reference": "LOAN-1", "amount": "30000", "decided_on": today}, town.credit)
    row = await _read(gateway, f"/v1/service-cases/{case}", town.committee, decided)
    assert (row["stage"], row["bureau"], row["loan_amount"], row["granted"]) == (
        "decided", "credit_cooperative", "30000", True)


async def test_a_legal_aid_case_through_the_justice_bureau(gateway: httpx.AsyncClient, town: Town) -> None:
    today = str(county_today())
    case = await _case(gateway, town, "legal_aid")
    await _post(gateway, f"/v1/service-cases/{case}/decision", {
        "granted": True, "reference": f"FY-{case[:8]}", "decided_on": today}, town.justice)
    await _post(gateway, f"/v1/service-cases/{case}/closing", {"closed_on": today}, town.justice, 422)
    closed = await _post(gateway, f"/v1/service-cases/{case}/closing", {
        "closed_on": today, "outcome": "settled", "note": "wages paid after mediation"}, town.justice)
    row = await _read(gateway, f"/v1/service-cases/{case}", town.justice, closed)
    assert (row["stage"], row["bureau"], row["reference"], row["outcome"]) == (
        "closed", "justice_bureau", f"FY-{case[:8]}", "settled")
    listed = await gateway.get("/v1/service-cases", params={"kind": "legal_aid"}, headers=town.justice)
    assert listed.status_code == 200 and case in {c["case_id"] for c in listed.json()["items"]}
    others = await gateway.get("/v1/service-cases", headers=town.labour)
    assert case not in {c["case_id"] for c in others.json()["items"]}


async def test_a_labour_export_group_to_a_destination_with_an_outstation_branch(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], town: Town
) -> None:
    today = str(county_today())
    branch = await _post(gateway, "/v1/branches", branch_body(home_org_id=town.township,
                                                               destination="Dongguan, Guangdong"), admin_headers)
    workers = [await _worker(gateway, town) for _ in range(2)]
    unwilling = await _worker(gateway, town, consent=["register", "services"])
    body = {"township_id": town.township, "destination": "Dongguan, Guangdong", "branch_id": branch["id"],
            "organised_on": today, "departs_on": today}
    await _post(gateway, "/v1/export-groups", {**body, "worker_ids": [*workers, unwilling]}, town.committee, 422)
    organised = await _post(gateway, "/v1/export-groups", {**body, "worker_ids": workers}, town.committee)

    async def joined() -> dict[str, Any] | None:
        answer = await gateway.get(f"/v1/export-groups/{organised['id']}",
                                   params={"min_position": organised["position"]}, headers=town.committee)
        row: dict[str, Any] = answer.json()
        return row if answer.status_code == 200 and row["branch_known"] else None

    group = await eventually(joined, what="the group joined with its branch in the directory")
    assert group is not None
    assert (group["destination"], group["branch_id"], group["worker_ids"]) == (
        "Dongguan, Guangdong", branch["id"], workers)
    assert group["branch_at_destination"] is True and group["branch_name"]
    other = bearer(system, Role.TOWNSHIP_COMMITTEE, f"{town.township}-other")
    assert (await gateway.post("/v1/export-groups", json={**body, "worker_ids": workers},
                               headers=other)).status_code == 403


async def test_a_bureau_cannot_act_on_another_bureaus_case(gateway: httpx.AsyncClient, town: Town) -> None:
    today = str(county_today())
    notarisation = await _case(gateway, town, "notarisation")
    issue = {"document_number": "GZ-1", "issued_on": today}
    for wrong in (town.labour, town.credit, town.insurance):
        await _post(gateway, f"/v1/service-cases/{notarisation}/documents", issue, wrong, 403)
        assert (await gateway.get(f"/v1/service-cases/{notarisation}", headers=wrong)).status_code == 403
    # A case that does not exist is refused alike: a 403 tells a bureau nothing about what exists.
    await _post(gateway, f"/v1/service-cases/none-{uuid.uuid4().hex[:8]}/documents", issue, town.justice, 403)
    # Bureaus do not register workers or open cases, and read no Party record.
    await _post(gateway, "/v1/migrant-workers", {"township_id": town.township, "village": "x",
                                                 "consent_scope": ALL_CONSENT, "consent_on": today,
                                                 "registered_on": today}, town.labour, 403)
    assert (await gateway.get("/v1/branches", headers=town.labour)).status_code == 403
    issued = await _post(gateway, f"/v1/service-cases/{notarisation}/documents", issue, town.justice)
    row = await _read(gateway, f"/v1/service-cases/{notarisation}", town.justice, issued)
    assert (row["stage"], row["fee"]) == ("issued", "0")


async def test_the_services_report_counts_cases_by_township_and_kind(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    run = uuid.uuid4().hex[:6]
    for body in ({"org_id": f"county-r-{run}", "name": f"County {run}", "kind": "county_committee",
                  "parent_id": None, "approval_authority": True, "established_on": "2026-01-01"},
                 {"org_id": f"township-r-{run}", "name": f"Township {run}", "kind": "township_committee",
                  "parent_id": f"county-r-{run}", "approval_authority": True, "established_on": "2026-01-05"}):
        await _post(gateway, "/v1/organisations", body, admin_headers)
    town = Town(system, f"township-r-{run}")
    for kind in ("legal_aid", "legal_aid", "micro_credit"):
        await _case(gateway, town, kind)
    today = str(county_today())
    opened = await _post(gateway, "/v1/service-cases", {
        "worker_id": await _worker(gateway, town), "kind": "insurance", "requested_on": today}, town.committee)

    report = await gateway.get("/v1/reports/migrant-services", headers=town.committee,
                               params={"min_position": opened["position"]})
    assert report.status_code == 200, report.text
    rows = {r["kind"]: r for r in report.json()["cases"]}
    assert {k: (r["requested"], r["open"], r["closed"], r["overdue"]) for k, r in rows.items()} == {
        "insurance": (1, 1, 0, 0), "legal_aid": (2, 2, 0, 0), "micro_credit": (1, 1, 0, 0)}
    assert [(w["township_id"], w["registered"]) for w in report.json()["workers"]] == [(town.township, 4)]
    other = bearer(system, Role.TOWNSHIP_COMMITTEE, f"township-x-{run}")
    refused = await gateway.get("/v1/reports/migrant-services", headers=other, params={"township": town.township})
    assert refused.status_code == 403, refused.text
    assert (await gateway.get("/v1/reports/migrant-services", headers=town.labour)).status_code == 403
