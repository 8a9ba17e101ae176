"""Party dues through the gateway: an account, months assessed with their explanation, payments, the ledger."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from typing import Any

import asyncpg
import httpx

from infra import supervisor
from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer, branch_body, eventually, member_body


async def test_a_member_pays_three_months_and_the_statement_explains_each_amount(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)
    member = (await gateway.post("/v1/members", json=member_body(branch), headers=secretary)).json()["id"]
    opened = await gateway.post(f"/v1/members/{member}/dues/account", headers=secretary, json={
        "org_id": branch, "category": "wage_earner", "base": "4000.00", "owed_from": "2026-01"})
    assert opened.status_code == 201, opened.text

    today = str(county_today())
    payments = f"/v1/members/{member}/dues/payments"
    paid = await gateway.post(payments, headers=secretary, json={
        "months": ["2026-01", "2026-02", "2026-03"], "amount": "120.00", "paid_on": today, "branch_consent": True})
    assert paid.status_code == 201, paid.text

    statement = await gateway.get(f"/v1/members/{member}/dues", params={"year": 2026,
                                  "min_position": paid.json()["position"]}, headers=secretary)
    months = {m["month"]: m for m in statement.json()["months"]}
    assert [months[m]["amount"] for m in ("2026-01", "2026-02", "2026-03")] == ["40.00", "40.00", "40.00"]
    assert [months[m]["paid"] for m in ("2026-01", "2026-02", "2026-03")] == ["40.00", "40.00", "40.00"]
    january = months["2026-01"]
    assert (january["base"], january["rate"], january["policy_version"]) == ("4000.00", "0.01", "dues-2008")

    # Bad payments are refused with problem+json and write nothing.
    seven = [f"2026-{m:02d}" for m in range(4, 11)]
    problem = await assert_refused(gateway, membership_db, payments, 422, json={
        "months": seven, "amount": "280.00", "paid_on": today, "branch_consent": True}, headers=secretary)
    assert "6" in problem["detail"]
    await assert_refused(gateway, membership_db, payments, 422, json={
        "months": ["2026-04"], "amount": "40.00", "paid_on": today, "payer_kind": "organisation"}, headers=secretary)
    await assert_refused(gateway, membership_db, payments, 422, json={
        "months": ["2026-04"], "amount": "40.001", "paid_on": today}, headers=secretary)
    await assert_refused(gateway, membership_db, payments, 422, json={
        "months": ["2026-04"], "amount": "-40.00", "paid_on": today}, headers=secretary)

    ledger = await gateway.get(f"/v1/organisations/{branch}/dues/ledger", params={"year": 2026},
                               headers=secretary)
    rows = {m["month"]: m for m in ledger.json()["months"]}
    assert (rows["2026-01"]["expected"], rows["2026-01"]["paid"]) == ("40.00", "40.00")
    assert ledger.json()["payments"]["received"] == "120.00"

    # A voluntary payment of 1,000 yuan or more goes to the Party Centre: the statement and the ledger say so.
    voluntary = await gateway.post(payments, headers=secretary, json={
        "months": [], "amount": "1000.00", "extra": "1000.00", "paid_on": today})
    assert voluntary.status_code == 201, voluntary.text
    statement = (await gateway.get(f"/v1/members/{member}/dues", params={
        "year": 2026, "min_position": voluntary.json()["position"]}, headers=secretary)).json()
    assert [(Decimal(p["extra"]), p["to_central_committee"]) for p in statement["payments"]] == [
        (0, False), (1000, True)]
    assert Decimal(statement["to_central_committee"]) == 1000
    ledger = await gateway.get(f"/v1/organisations/{branch}/dues/ledger", params={"year": 2026},
                               headers=secretary)
    assert Decimal(ledger.json()["payments"]["to_central_committee"]) == 1000


async def test_the_monthly_run_assesses_every_account_and_a_letter_states_the_dues_paid_up_to(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    home = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    host = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, home)
    member = (await gateway.post("/v1/members", json=member_body(home), headers=secretary)).json()["id"]
    await gateway.post(f"/v1/members/{member}/dues/account", headers=secretary, json={
        "org_id": home, "category": "retiree", "base": "5000.01", "owed_from": "2026-01"})
    today = str(county_today())
    paid = await gateway.post(f"/v1/members/{member}/dues/payments", headers=secretary, json={
        "months": ["2026-01", "2026-02"], "amount": "100.00", "paid_on": today, "branch_consent": True})
    assert paid.status_code == 201, paid.text  # a retiree above 5000: 1 % of 5000.01 = 50.00 a month

    run = subprocess.run([sys.executable, "-m", "services.membership.dues_run", "--month", "2026-03"],
                         env=supervisor.child_env(system), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]

    async def march() -> dict[str, Any] | None:
        r = await gateway.get(f"/v1/members/{member}/dues", params={"year": 2026}, headers=secretary)
        months = {m["month"]: m for m in r.json()["months"]}
        return months.get("2026-03") if months.get("2026-03", {}).get("amount") else None

    assessed = await eventually(march, what="March assessed by the monthly run")
    assert (assessed["amount"], assessed["paid"], assessed["policy_version"]) == ("50.00", "0", "dues-2008")

    transfer = (await gateway.post(f"/v1/members/{member}/transfers", headers=secretary,
                                   json={"to_org_id": host, "reason": "moved"})).json()["id"]
    letter = await gateway.post(f"/v1/members/{member}/transfers/{transfer}/approval", headers=admin_headers,
                                json={"letter_number": "D-1", "channel": "paper", "issued_on": today,
                                      "dues_paid_up_to": "2030-12"})
    assert letter.status_code == 201, letter.text
    rows = (await gateway.get("/v1/transfers", params={"org_id": host, "min_position": letter.json()["position"]},
                              headers=admin_headers)).json()["items"]
    assert rows[0]["dues_paid_up_to"] == "2026-02"  # from the account, whatever the request said
