"""Migrant-worker services against a hostile or careless caller, on the real system (review of 2026-12-02): an
amount the read model's numeric column refused (the event was dead-lettered and the case shown a step behind;
now refused at the body), a
step backdated past a consent withdrawal, an export group used to probe another township's workers, a bureau
closing a micro-credit case before the loan step, and every bureau kept off every other bureau's cases."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import a_township, assert_refused, bearer
from tests.e2e.secondment_steps import post

CONSENT = ["register", "services", "share_with_bureaus", "labour_export"]
#: The bureau each kind is referred to first (services/workers/policy.py defaults).
FIRST_BUREAU = {"micro_credit": Role.LABOUR_BUREAU, "insurance": Role.INSURANCE, "training": Role.LABOUR_BUREAU,
                "notarisation": Role.JUSTICE_BUREAU, "legal_aid": Role.JUSTICE_BUREAU, "papers": Role.LABOUR_BUREAU}
BUREAU_ROLES = (Role.LABOUR_BUREAU, Role.CREDIT_COOPERATIVE, Role.JUSTICE_BUREAU, Role.INSURANCE)


class Township:
    def __init__(self, system: Settings, township: str) -> None:
        self.id = township
        self.committee = bearer(system, Role.TOWNSHIP_COMMITTEE, township)


@pytest.fixture(scope="module")
async def towns(system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
                ) -> tuple[Township, Township]:
    return (Township(system, (await a_township(gateway, admin_headers))[1]),
            Township(system, (await a_township(gateway, admin_headers))[1]))


async def _worker(gateway: httpx.AsyncClient, town: Township, consent: list[str] = CONSENT, on: str = "") -> str:
    on = on or str(county_today())
    return str((await post(gateway, "/v1/migrant-workers", {
        "township_id": town.id, "village": "Dongcun", "consent_scope": consent, "consent_on": on,
        "registered_on": on}, town.committee))["id"])


async def _referred(gateway: httpx.AsyncClient, town: Township, kind: str) -> str:
    today = str(county_today())
    case = str((await post(gateway, "/v1/service-cases", {
        "worker_id": await _worker(gateway, town), "kind": kind, "requested_on": today}, town.committee))["id"])
    await post(gateway, f"/v1/service-cases/{case}/referral", {"referred_on": today}, town.committee)
    return case


async def _case_row(gateway: httpx.AsyncClient, case: str, accepted: dict[str, Any], headers: dict[str, str]
                    ) -> dict[str, Any]:
    answer = await gateway.get(f"/v1/service-cases/{case}", params={"min_position": accepted["position"]},
                               headers=headers)
    assert answer.status_code == 200, answer.text
    row: dict[str, Any] = answer.json()
    return row


ODD_AMOUNTS = ["0E-999999999", "0." + "0" * 20_000, "0E+999999999", "30000." + "0" * 20_000]


async def test_an_amount_not_written_plainly_is_refused_and_a_plain_one_reaches_the_read_model(
    system: Settings, gateway: httpx.AsyncClient, towns: tuple[Township, Township], workers_db: asyncpg.Pool
) -> None:
    """Before, these were accepted (201), stored and published as written, and refused by the read model's numeric
    column: the case stayed "referred" there for good. Now the body refuses them (services/kernel/bodies.py)."""
    town, _ = towns
    case = await _referred(gateway, town, "micro_credit")
    labour = bearer(system, Role.LABOUR_BUREAU, "county-labour-bureau")
    path = f"/v1/service-cases/{case}/documents"
    for odd in ODD_AMOUNTS:
        for field in ("fee", "amount"):
            problem = await assert_refused(gateway, workers_db, path, 422, headers=labour, json={
                "document_number": "RS-1", "issued_on": str(county_today()), field: odd})
            assert "plain digits" in str(problem) and odd[:40] not in str(problem)
    issued = await post(gateway, path, {"document_number": "RS-1", "issued_on": str(county_today()),
                                        "amount": "30000.00", "fee": "0.00"}, labour)
    row = await _case_row(gateway, case, issued, labour)
    assert (row["stage"], row["certificate_amount"], row["fee"]) == ("issued", "30000.00", "0.00")


async def test_nothing_new_takes_a_worker_once_their_withdrawal_is_recorded_whatever_day_it_names(
    gateway: httpx.AsyncClient, towns: tuple[Township, Township], workers_db: asyncpg.Pool
) -> None:
    town, _ = towns
    today = county_today()
    yesterday = str(today.fromordinal(today.toordinal() - 1))
    worker = await _worker(gateway, town, on=yesterday)
    pending = await post(gateway, "/v1/service-cases", {"worker_id": worker, "kind": "legal_aid",
                                                        "requested_on": yesterday}, town.committee)
    await post(gateway, f"/v1/migrant-workers/{worker}/consent-withdrawal", {"withdrawn_on": str(today)},
               town.committee)
    for path, body in (
        ("/v1/service-cases", {"worker_id": worker, "kind": "insurance", "requested_on": yesterday}),
        (f"/v1/service-cases/{pending['id']}/referral", {"referred_on": yesterday}),
        ("/v1/export-groups", {"township_id": town.id, "destination": "Dongguan", "branch_id": "branch-dg",
                               "worker_ids": [worker], "organised_on": yesterday, "departs_on": str(today)}),
    ):
        problem = await assert_refused(gateway, workers_db, path, 422, headers=town.committee, json=body)
        assert "withdrew their consent" in problem["detail"], problem


async def test_an_export_group_tells_a_committee_nothing_of_another_townships_worker(
    gateway: httpx.AsyncClient, towns: tuple[Township, Township], workers_db: asyncpg.Pool
) -> None:
    town, other = towns
    today = str(county_today())
    body = {"township_id": town.id, "destination": "Dongguan", "branch_id": "branch-dg", "organised_on": today,
            "departs_on": today}
    theirs = [await _worker(gateway, other, consent=["register"]), await _worker(gateway, other)]
    details = set()
    for worker in (*theirs, "no-such-worker"):
        problem = await assert_refused(gateway, workers_db, "/v1/export-groups", 404, headers=town.committee,
                                       json={**body, "worker_ids": [worker]})
        assert other.id not in problem["detail"] and "consent" not in problem["detail"], problem
        details.add(problem["detail"].replace(worker, "<id>"))
    assert len(details) == 1, details
    problem = await assert_refused(gateway, workers_db, "/v1/export-groups", 422, headers=town.committee,
                                   json={**body, "worker_ids": ["+86 138 0013 8000"]})
    assert not any(c.isdigit() for c in problem["detail"]), problem


async def test_the_labour_bureau_cannot_close_a_micro_credit_case_before_the_loan_step(
    system: Settings, gateway: httpx.AsyncClient, towns: tuple[Township, Township], workers_db: asyncpg.Pool
) -> None:
    town, _ = towns
    today = str(county_today())
    case = await _referred(gateway, town, "micro_credit")
    labour = bearer(system, Role.LABOUR_BUREAU, "county-labour-bureau")
    await post(gateway, f"/v1/service-cases/{case}/documents", {
        "document_number": "RS-2", "issued_on": today, "amount": "20000"}, labour)
    await assert_refused(gateway, workers_db, f"/v1/service-cases/{case}/closing", 409, headers=labour,
                         json={"closed_on": today})
    # The loan step is still the credit cooperative's.
    await post(gateway, f"/v1/service-cases/{case}/referral", {"referred_on": today}, town.committee)
    credit = bearer(system, Role.CREDIT_COOPERATIVE, "county-rural-credit-cooperative")
    await post(gateway, f"/v1/service-cases/{case}/decision", {
        "granted": True, "reference": "LOAN-2", "amount": "20000", "decided_on": today}, credit)


async def test_no_bureau_reads_or_acts_on_a_case_referred_to_another(
    system: Settings, gateway: httpx.AsyncClient, towns: tuple[Township, Township], workers_db: asyncpg.Pool
) -> None:
    town, other = towns
    today = str(county_today())
    steps = {"documents": {"document_number": "X-1", "issued_on": today},
             "decision": {"granted": False, "reason": "not ours", "decided_on": today},
             "closing": {"closed_on": today}}
    for kind, holder in FIRST_BUREAU.items():
        case = await _referred(gateway, town, kind)
        for role in BUREAU_ROLES:
            if role is holder:
                continue
            headers = bearer(system, role, f"office-{role.value}")
            assert (await gateway.get(f"/v1/service-cases/{case}", headers=headers)).status_code == 403
            listed = await gateway.get("/v1/service-cases", headers=headers, params={"township": town.id})
            assert listed.status_code == 200 and case not in {c["case_id"] for c in listed.json()["items"]}
            for step, body in steps.items():
                await assert_refused(gateway, workers_db, f"/v1/service-cases/{case}/{step}", 403, headers=headers,
                                     json=body)
        # Nor does another township's committee, nor a bureau on the register, groups or the report.
        assert (await gateway.get(f"/v1/service-cases/{case}", headers=other.committee)).status_code == 403
    for role in BUREAU_ROLES:
        headers = bearer(system, role)
        assert (await gateway.get("/v1/reports/migrant-services", headers=headers)).status_code == 403


async def test_a_village_of_900000_characters_is_refused_and_not_recorded(
    gateway: httpx.AsyncClient, towns: tuple[Township, Township], workers_db: asyncpg.Pool
) -> None:
    town, _ = towns
    today = str(county_today())
    problem = await assert_refused(gateway, workers_db, "/v1/migrant-workers", 422, headers=town.committee, json={
        "township_id": town.id, "village": "x" * 900_000, "consent_scope": CONSENT, "consent_on": today,
        "registered_on": today})
    assert "at most 200" in problem["detail"] and len(problem["detail"]) < 200, problem["detail"][:300]
