"""A branch's year of dues, end to end: salary change, quarterly payer, six months of arrears at once, a
member transferred to another branch (no gap, no double charge), and a lapse review after six unpaid months.

Every amount is hand-checkable: wage earners at 4000.00 pay 1 % = 40.00 a month; at 6000.00, 1.5 % = 90.00.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from typing import Any

import httpx

from infra import supervisor
from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer, branch_body, eventually, member_body

JAN_TO_JUN = [f"2026-{m:02d}" for m in range(1, 7)]
JUL_TO_NOV = [f"2026-{m:02d}" for m in range(7, 12)]


async def test_a_branch_year_of_dues(system: Settings, gateway: httpx.AsyncClient,
                                     admin_headers: dict[str, str]) -> None:
    a = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    b = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    sec_a = bearer(system, Role.BRANCH_SECRETARY, a)
    last = 0

    async def post(path: str, body: dict[str, Any], headers: dict[str, str] = sec_a) -> dict[str, Any]:
        nonlocal last
        r = await gateway.post(path, json=body, headers=headers)
        assert r.status_code == 201, f"{path}: {r.text}"
        last = max(last, r.json()["position"])
        return dict(r.json())

    async def member(name: str) -> str:
        m = (await post("/v1/members", member_body(a, name=name)))["id"]
        await post(f"/v1/members/{m}/dues/account", {"org_id": a, "category": "wage_earner", "base": "4000.00",
                                                      "owed_from": "2026-01"})
        return str(m)

    async def pay(m: str, months: list[str], amount: str, paid_on: str, headers: dict[str, str] = sec_a) -> None:
        await post(f"/v1/members/{m}/dues/payments", {"months": months, "amount": amount, "paid_on": paid_on,
                                                     "branch_consent": len(months) > 1}, headers)

    monthly, quarterly, late, mover, lapsing = [await member(n) for n in ("Monthly", "Quarterly", "Late", "Mover",
                                                                           "Lapsing")]
    # Monthly payer whose salary rises to 6000.00 from July (the new base applies from the month it is paid).
    await post(f"/v1/members/{monthly}/dues/income", {"from_month": "2026-07", "base": "6000.00"})
    for month in JAN_TO_JUN:
        await pay(monthly, [month], "40.00", f"{month}-20")
    for month in JUL_TO_NOV:
        await pay(monthly, [month], "90.00", f"{month}-20")
    # Quarterly payer (with the branch's consent): three quarters paid, October and November still open.
    for quarter, day in ((JAN_TO_JUN[:3], "2026-03-31"), (JAN_TO_JUN[3:], "2026-06-30"),
                         (JUL_TO_NOV[:3], "2026-09-30")):
        await pay(quarterly, quarter, "120.00", day)
    # Six months of arrears in one payment.
    await pay(late, JAN_TO_JUN, "240.00", "2026-07-15")
    # The mover pays January to June at A, is transferred to B, and B continues from July.
    await pay(mover, JAN_TO_JUN, "240.00", "2026-06-30")
    transfer = (await post(f"/v1/members/{mover}/transfers", {"to_org_id": b, "reason": "new job"}))["id"]
    today = county_today()
    await post(f"/v1/members/{mover}/transfers/{transfer}/approval",
               {"letter_number": "Y-7", "channel": "paper", "issued_on": str(today), "dues_paid_up_to": "2026-06"},
               admin_headers)
    # Before the reception no letter Y-7 was received, and a letter that never existed never is: both refused.
    for letter in ("Y-7", "NO-SUCH-LETTER"):
        refused = await gateway.post(f"/v1/members/{mover}/dues/continuation", headers=admin_headers, json={
            "to_org_id": b, "letter_number": letter, "paid_up_to": "2026-06", "received_on": str(today)})
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    # The reception itself moves the account to B: there is nothing left to continue by hand.
    await post(f"/v1/members/{mover}/transfers/{transfer}/reception",
               {"letter_number": "Y-7", "received_on": str(today)}, bearer(system, Role.BRANCH_SECRETARY, b))
    await pay(mover, JUL_TO_NOV, "200.00", str(today), admin_headers)
    # Pays January to April, then nothing: seven months unpaid by November.
    await pay(lapsing, JAN_TO_JUN[:4], "160.00", "2026-04-30")

    for month in ("2026-10", "2026-11"):  # the monthly run fixes the open months of everyone else
        run = subprocess.run([sys.executable, "-m", "services.membership.dues_run", "--month", month],
                             env=supervisor.child_env(system), capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-2000:]
    # The year is judged on 24 November 2026, whatever day the suite runs.
    engine = subprocess.run([sys.executable, "-m", "services.membership.deadlines", "--on", "2026-11-24"],
                            env=supervisor.child_env(system), capture_output=True, text=True, timeout=300)
    assert engine.returncode == 0, engine.stderr[-2000:]

    async def statement(m: str) -> dict[str, dict[str, Any]]:
        r = await gateway.get(f"/v1/members/{m}/dues", params={"year": 2026, "min_position": last},
                              headers=admin_headers)
        return {row["month"]: row for row in r.json()["months"]}

    s = await statement(monthly)
    assert [s[m]["amount"] for m in JAN_TO_JUN + JUL_TO_NOV] == ["40.00"] * 6 + ["90.00"] * 5
    assert [s[m]["paid"] for m in JAN_TO_JUN + JUL_TO_NOV] == ["40.00"] * 6 + ["90.00"] * 5
    assert (Decimal(s["2026-07"]["base"]), Decimal(s["2026-07"]["rate"])) == (Decimal("6000"), Decimal("0.015"))
    assert s["2026-06"]["policy_version"] == s["2026-07"]["policy_version"] == "dues-2008"

    s = await statement(quarterly)
    assert [s[m]["paid"] for m in [*JAN_TO_JUN, *JUL_TO_NOV]] == ["40.00"] * 9 + ["0", "0"]

    s = await statement(mover)
    assert all(s[m]["paid"] == "40.00" for m in JAN_TO_JUN + JUL_TO_NOV)  # every month once: no gap, no double
    assert {s[m]["org_id"] for m in JAN_TO_JUN} == {a} and {s[m]["org_id"] for m in JUL_TO_NOV} == {b}

    ledger_a = (await gateway.get(f"/v1/organisations/{a}/dues/ledger", params={"year": 2026},
                                  headers=admin_headers)).json()
    rows = {r["month"]: r for r in ledger_a["months"]}
    # January: five members at 40.00, all paid. October: monthly 90, quarterly 40, late 40, lapsing 40 — only
    # the monthly payer paid.
    assert (rows["2026-01"]["expected"], rows["2026-01"]["paid"]) == ("200.00", "200.00")
    assert (rows["2026-10"]["expected"], rows["2026-10"]["paid"]) == ("210.00", "90.00")
    received = Decimal(ledger_a["payments"]["received"])
    assert received == Decimal("690.00") + Decimal("360.00") + Decimal("240.00") + Decimal("240.00") + Decimal("160.00")
    ledger_b = (await gateway.get(f"/v1/organisations/{b}/dues/ledger", params={"year": 2026},
                                  headers=admin_headers)).json()
    assert ledger_b["payments"]["received"] == "200.00"

    async def lapse_review() -> list[dict[str, Any]]:
        r = await gateway.get(f"/v1/organisations/{a}/due-items", params={"kind": "lapse_review"},
                              headers=admin_headers)
        return list(r.json()["items"])

    items = await eventually(lapse_review, what="the lapse review in the branch's due items")
    assert [i["subject_id"] for i in items] == [f"dues-{lapsing}"]
