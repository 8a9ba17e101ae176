"""回归 on the real system: a member with a dues account transfers out of the county (the account closes with the
month of the reception outside), later transfers back in — the same member, the same record — and the receiving
branch continues their dues: the account reopens there, the months between are a gap (refused with a 409 that says
when it closed and reopened, skipped by the monthly run), and the month after the reopening is assessable.

Timeline in months before this one (M): owed from M-5; received outside in M-4 (closed in M-4); back with a letter
paid up to M-2, received here in M-2; owed again from M-1, so the gap is M-3 and M-2.
Hand-checkable: a wage earner at 4000.00 pays 1 % = 40.00 a month.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from typing import Any

import asyncpg
import httpx

from infra import supervisor
from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.dates import month_of, shift_month
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer, branch_body, eventually, member_body

LATE = "entered from the paper letter"


async def test_a_member_who_transferred_out_and_came_back_continues_their_dues_in_a_reopened_account(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)
    outside = f"ext-{uuid.uuid4().hex[:8]}"
    host = bearer(system, Role.HOST_ORGANISATION, outside)

    async def post(path: str, body: dict[str, Any], headers: dict[str, str] = admin_headers) -> dict[str, Any]:
        r = await gateway.post(path, json=body, headers=headers)
        assert r.status_code == 201, f"{path}: {r.text}"
        return dict(r.json())

    this_month = month_of(county_today())

    def month(n: int) -> str:
        return shift_month(this_month, -n)

    m = (await post("/v1/members", member_body(branch, name="Qian Lei")))["id"]
    await post(f"/v1/members/{m}/dues/account", {"org_id": branch, "category": "wage_earner", "base": "4000.00",
                                                  "owed_from": month(5)})

    # Out of the county: received by an organisation outside in M-4.
    out = (await post(f"/v1/members/{m}/transfers", {
        "to_external": {"org_id": outside, "name": "Ningbo Beilun committee", "address": "Ningbo, Zhejiang"},
        "reason": "moved for work", "requested_on": f"{month(4)}-10", "backdating_reason": LATE}))["id"]
    await post(f"/v1/members/{m}/transfers/{out}/approval",
               {"letter_number": f"O-{m[-6:]}", "channel": "paper", "issued_on": f"{month(4)}-10",
                "dues_paid_up_to": month(5), "backdating_reason": LATE})
    await post(f"/v1/members/{m}/transfers/{out}/reception",
               {"letter_number": f"O-{m[-6:]}", "received_on": f"{month(4)}-12", "backdating_reason": LATE}, host)
    closing = await membership_db.fetchrow(
        "SELECT data::jsonb ->> 'last_month' AS last_month FROM events WHERE stream_id = $1"
        " AND type = 'gb.membership.dues_account_closed.v1'", f"dues-{m}")
    assert closing is not None and closing["last_month"] == month(4)

    # Back home: the organisation outside issued a paper letter (dues paid there up to M-2), which the county
    # committee records; the branch receives them.
    home = (await post(f"/v1/members/{m}/transfers", {
        "to_org_id": branch, "reason": "came home to start a business", "requested_on": f"{month(2)}-03",
        "backdating_reason": LATE}))["id"]
    letter = f"H-{m[-6:]}"
    await post(f"/v1/members/{m}/transfers/{home}/approval",
               {"letter_number": letter, "channel": "paper", "issued_on": f"{month(2)}-05",
                "dues_paid_up_to": month(2), "backdating_reason": LATE})
    await post(f"/v1/members/{m}/transfers/{home}/reception",
               {"letter_number": letter, "received_on": f"{month(2)}-08", "backdating_reason": LATE}, secretary)

    # The branch continues their dues on that letter: the closed account reopens (it answered 409 before).
    reopening = await post(f"/v1/members/{m}/dues/continuation",
                           {"to_org_id": branch, "letter_number": letter, "paid_up_to": month(2),
                            "received_on": f"{month(2)}-08", "backdating_reason": LATE}, secretary)
    stored = await membership_db.fetchrow(
        "SELECT data::jsonb ->> 'closed_in' AS closed_in, data::jsonb ->> 'reopened_from' AS reopened_from"
        " FROM events WHERE stream_id = $1 AND type = 'gb.membership.dues_account_reopened.v1'", f"dues-{m}")
    assert stored is not None and (stored["closed_in"], stored["reopened_from"]) == (month(4), month(1))

    async def shown_open() -> dict[str, Any] | None:
        r = await gateway.get(f"/v1/members/{m}/dues", params={"min_position": reopening["position"]},
                              headers=secretary)
        assert r.status_code == 200, r.text
        account = r.json()["account"]
        return account if account and account.get("state") == "open" and account.get("gaps") else None

    account = await eventually(shown_open, what="the dues account shown open again, with its gap")
    assert (account["org_id"], account["continued_from"], account["letter_number"]) == (branch, month(1), letter)
    assert account["closed_in"] is None and account["owed_from"] == month(5)
    assert account["gaps"] == [{"closed_in": month(4), "closed_reason": "transferred_out",
                                "reopened_from": month(1), "reopened_on": f"{month(2)}-08",
                                "letter_number": letter}]

    # A month of the gap is owed by nobody here: 409, saying when the account closed and reopened.
    problem = await assert_refused(gateway, membership_db, f"/v1/members/{m}/dues/assessments", 409,
                                   headers=secretary, json={"month": month(3)})
    assert f"reopened from {month(1)}" in problem["detail"]
    assert (problem["closed_in"], problem["reopened_from"]) == (month(4), month(1))
    await assert_refused(gateway, membership_db, f"/v1/members/{m}/dues/payments", 409, headers=secretary,
                         json={"months": [month(2)], "amount": "40.00", "paid_on": str(county_today())})
    # The month after the reopening is owed again, and so is the closing month (the arrears before stay).
    assessed = await post(f"/v1/members/{m}/dues/assessments", {"month": month(1)}, secretary)
    await post(f"/v1/members/{m}/dues/assessments", {"month": month(4)}, secretary)

    # The monthly run for a gap month assesses nothing for this member, counted as closed.
    run = subprocess.run([sys.executable, "-m", "services.membership.dues_run", "--month", month(2)],
                         env=supervisor.child_env(system), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    said = re.search(r"(\d+) of them closed before the month", run.stdout + run.stderr)
    assert said and int(said.group(1)) >= 1, (run.stdout + run.stderr)[-2000:]
    in_gap = await membership_db.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'gb.membership.month_assessed.v1'"
        " AND data::jsonb ->> 'month' IN ($2, $3)", f"dues-{m}", month(3), month(2))
    assert in_gap == 0

    async def statement() -> list[str] | None:
        r = await gateway.get(f"/v1/members/{m}/dues", params={"min_position": assessed["position"]},
                              headers=secretary)
        months = [row["month"] for row in r.json()["months"]]
        return months if month(1) in months else None

    months = await eventually(statement, what="the month after the reopening on the statement")
    assert month(3) not in months and month(2) not in months
