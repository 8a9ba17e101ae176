"""Party dues through the gateway: an account, months assessed with their explanation, payments, the ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from services.kernel.identity import Role
from services.kernel.settings import Settings
from tests.e2e.conftest import bearer, branch_body, member_body


async def _refused(gateway: httpx.AsyncClient, db: asyncpg.Pool, path: str, body: dict[str, Any],
                   headers: dict[str, str], status: int = 422) -> str:
    before = await db.fetchval("SELECT count(*) FROM events")
    response = await gateway.post(path, json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await db.fetchval("SELECT count(*) FROM events") == before, "a refused payment wrote events"
    return str(response.json()["detail"])


async def test_a_member_pays_three_months_and_the_statement_explains_each_amount(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)
    member = (await gateway.post("/v1/members", json=member_body(branch), headers=secretary)).json()["id"]
    opened = await gateway.post(f"/v1/members/{member}/dues/account", headers=secretary, json={
        "org_id": branch, "category": "wage_earner", "base": "4000.00", "owed_from": "2026-01"})
    assert opened.status_code == 201, opened.text

    today = str(datetime.now(UTC).date())
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
    assert "6" in await _refused(gateway, membership_db, payments, {
        "months": seven, "amount": "280.00", "paid_on": today, "branch_consent": True}, secretary)
    await _refused(gateway, membership_db, payments, {
        "months": ["2026-04"], "amount": "40.00", "paid_on": today, "payer_kind": "organisation"}, secretary)
    await _refused(gateway, membership_db, payments, {
        "months": ["2026-04"], "amount": "40.001", "paid_on": today}, secretary)
    await _refused(gateway, membership_db, payments, {
        "months": ["2026-04"], "amount": "-40.00", "paid_on": today}, secretary)

    ledger = await gateway.get(f"/v1/organisations/{branch}/dues/ledger", params={"year": 2026},
                               headers=secretary)
    rows = {m["month"]: m for m in ledger.json()["months"]}
    assert (rows["2026-01"]["expected"], rows["2026-01"]["paid"]) == ("40.00", "40.00")
    assert ledger.json()["payments"]["received"] == "120.00"
