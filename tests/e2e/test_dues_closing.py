"""Dues end with the membership, on the real system: recording a member's death closes their dues account with the
month of the death (no second command); the statement shows it closed, the arrears before it stay owed and payable,
a later month is refused (409) and the monthly run assesses nothing for them after it. A transfer received by an
organisation outside the county closes it with the month of the reception.

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
from tests.e2e.test_development_pipeline import to_probation


async def test_a_death_closes_the_dues_account_and_no_later_month_is_ever_owed(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)

    async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = await gateway.post(path, json=body, headers=secretary)
        assert r.status_code == 201, f"{path}: {r.text}"
        return dict(r.json())

    # The death two months back, so the month after it has begun and can be run.
    died = shift_month(month_of(county_today()), -2)
    after = shift_month(died, 1)
    owed_from = shift_month(died, -3)
    m = (await post("/v1/members", member_body(branch, name="Sun Li")))["id"]
    await post(f"/v1/members/{m}/dues/account", {"org_id": branch, "category": "wage_earner", "base": "4000.00",
                                                  "owed_from": owed_from})
    await post(f"/v1/members/{m}/dues/payments", {"months": [owed_from], "amount": "40.00",
                                                  "paid_on": f"{owed_from}-20"})
    death = await post(f"/v1/members/{m}/death", {"died_on": f"{died}-15",
                                                  "backdating_reason": "recorded from the family's notice"})

    # No second command: the death's own answer comes after the account closed.
    closing = await membership_db.fetchrow(
        "SELECT position, data::jsonb AS data FROM events WHERE stream_id = $1"
        " AND type = 'gb.membership.dues_account_closed.v1'", f"dues-{m}")
    assert closing is not None and closing["position"] > death["position"]

    async def statement() -> dict[str, Any] | None:
        r = await gateway.get(f"/v1/members/{m}/dues", params={"min_position": closing["position"]},
                              headers=secretary)
        assert r.status_code == 200, r.text
        body = dict(r.json())
        return body if body["account"] and body["account"].get("state") == "closed" else None

    body = await eventually(statement, what="the dues account shown closed")
    account = body["account"]
    assert (account["closed_in"], account["closed_reason"], account["closed_on"]) == (died, "died", f"{died}-15")

    # The closing month is still owed and assessed; a later month is refused, saying when and why it closed.
    await post(f"/v1/members/{m}/dues/assessments", {"month": died})
    problem = await assert_refused(gateway, membership_db, f"/v1/members/{m}/dues/assessments", 409,
                                   headers=secretary, json={"month": after})
    assert f"closed in {died}" in problem["detail"] and "died" in problem["detail"]
    assert (problem["closed_in"], problem["reason"]) == (died, "died")
    await assert_refused(gateway, membership_db, f"/v1/members/{m}/dues/payments", 409, headers=secretary,
                         json={"months": [after], "amount": "40.00", "paid_on": str(county_today())})
    # The arrears before the closing stay owed and payable.
    months = [shift_month(owed_from, n) for n in range(1, 4)]
    assert months[-1] == died
    await post(f"/v1/members/{m}/dues/payments", {"months": months[:1], "amount": "40.00",
                                                  "paid_on": str(county_today())})

    # The monthly run for the month after: nothing for this member, counted as closed.
    run = subprocess.run([sys.executable, "-m", "services.membership.dues_run", "--month", after],
                         env=supervisor.child_env(system), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    said = re.search(r"(\d+) of them closed before the month", run.stdout + run.stderr)
    assert said and int(said.group(1)) >= 1, (run.stdout + run.stderr)[-2000:]
    assessed_after = await membership_db.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'gb.membership.month_assessed.v1'"
        " AND data::jsonb ->> 'month' > $2", f"dues-{m}", died)
    assert assessed_after == 0
    final = (await gateway.get(f"/v1/members/{m}/dues", headers=secretary)).json()
    assert all(row["month"] <= died for row in final["months"])


async def test_a_transfer_received_outside_the_county_closes_the_dues_account_with_that_month(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    outside = f"ext-{uuid.uuid4().hex[:8]}"

    async def post(path: str, body: dict[str, Any], headers: dict[str, str] = admin_headers) -> dict[str, Any]:
        r = await gateway.post(path, json=body, headers=headers)
        assert r.status_code == 201, f"{path}: {r.text}"
        return dict(r.json())

    today = county_today()
    this_month = month_of(today)
    m = (await post("/v1/members", member_body(branch, name="Zhou Hui")))["id"]
    await post(f"/v1/members/{m}/dues/account", {"org_id": branch, "category": "wage_earner", "base": "4000.00",
                                                  "owed_from": shift_month(this_month, -2)})
    transfer = (await post(f"/v1/members/{m}/transfers", {
        "to_external": {"org_id": outside, "name": "Suzhou SIP committee", "address": "Suzhou, Jiangsu"},
        "reason": "moved for work"}))["id"]
    letter = f"X-{m[-6:]}"
    await post(f"/v1/members/{m}/transfers/{transfer}/approval",
               {"letter_number": letter, "channel": "paper", "issued_on": str(today),
                "dues_paid_up_to": shift_month(this_month, -3)})
    host = bearer(system, Role.HOST_ORGANISATION, outside)
    received = await post(f"/v1/members/{m}/transfers/{transfer}/reception",
                          {"letter_number": letter, "received_on": str(today)}, host)

    closing = await membership_db.fetchrow(
        "SELECT position, data::jsonb ->> 'reason' AS reason, data::jsonb ->> 'last_month' AS last_month"
        " FROM events WHERE stream_id = $1 AND type = 'gb.membership.dues_account_closed.v1'", f"dues-{m}")
    assert closing is not None and closing["position"] > received["position"]
    assert (closing["reason"], closing["last_month"]) == ("transferred_out", this_month)
    moved = await membership_db.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'gb.membership.dues_continued_after_transfer.v1'",
        f"dues-{m}")
    assert moved == 0  # the organisation outside keeps their dues from now on

    async def shown_closed() -> dict[str, Any] | None:
        r = await gateway.get(f"/v1/members/{m}/dues", params={"min_position": closing["position"]},
                              headers=admin_headers)
        account = r.json()["account"]
        return account if account and account.get("state") == "closed" else None

    account = await eventually(shown_closed, what="the dues account shown closed after the transfer out")
    assert (account["closed_in"], account["closed_reason"]) == (this_month, "transferred_out")
    # The months up to the reception's are still owed here and can be assessed.
    await post(f"/v1/members/{m}/dues/assessments", {"month": this_month})


async def test_a_probation_cancelled_closes_the_dues_account_like_a_removal(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    """A probationary member owes dues from the month of admission; the conversion meeting cancels the probation (the
    member's status becomes removed). Before, their account kept owing, month after month."""
    case, branch, secretary, township = await to_probation(system, gateway, admin_headers)
    m = case.person_id
    opened = await gateway.post(f"/v1/members/{m}/dues/account", headers=secretary, json={
        "org_id": branch, "category": "wage_earner", "base": "4000.00", "owed_from": "2025-05",
        "admitted_on": "2025-05-10"})
    assert opened.status_code == 201, opened.text
    await case.step("oath", {"sworn_on": "2025-05-20"})
    await case.step("conversion-application", {"applied_on": "2026-04-16"})
    await case.step("conversion-vote", {"held_on": "2026-04-25", "resolution": "cancel", "present": 3, "yes": 3,
                                        "no": 0, "abstain": 0})
    cancelled = await case.step("conversion-approval", {"outcome": "cancel", "approved_on": "2026-05-15"}, township)

    closing = await membership_db.fetchrow(
        "SELECT position, data::jsonb ->> 'reason' AS reason, data::jsonb ->> 'last_month' AS last_month"
        " FROM events WHERE stream_id = $1 AND type = 'gb.membership.dues_account_closed.v1'", f"dues-{m}")
    assert closing is not None and closing["position"] > cancelled  # before the approval's own answer
    assert (closing["reason"], closing["last_month"]) == ("removed", "2026-05")
    problem = await assert_refused(gateway, membership_db, f"/v1/members/{m}/dues/assessments", 409,
                                   headers=secretary, json={"month": "2026-06"})
    assert "closed in 2026-05" in problem["detail"], problem
