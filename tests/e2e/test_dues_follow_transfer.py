"""Dues follow the member on the real system: receiving a transfer moves the dues account to the receiving
branch, with no second command, and the months paid before stay paid where they were paid.

Hand-checkable: a wage earner at 4000.00 pays 1 % = 40.00 a month.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.kernel.store import CommandMeta, EventStore
from services.membership.contract.events import REGISTRY
from services.membership.contract.events.transfers import TransferReceived
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer, branch_body, eventually, member_body

JAN_TO_MAR = ["2026-01", "2026-02", "2026-03"]


async def test_receiving_a_transfer_moves_the_dues_account_and_keeps_the_months_paid_before(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    a = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    b = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    sec_a, sec_b = bearer(system, Role.BRANCH_SECRETARY, a), bearer(system, Role.BRANCH_SECRETARY, b)

    async def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        r = await gateway.post(path, json=body, headers=headers)
        assert r.status_code == 201, f"{path}: {r.text}"
        return dict(r.json())

    m = (await post("/v1/members", member_body(a, name="Zhao Min"), sec_a))["id"]
    await post(f"/v1/members/{m}/dues/account", {"org_id": a, "category": "wage_earner", "base": "4000.00",
                                                  "owed_from": "2026-01"}, sec_a)
    for month in JAN_TO_MAR:
        await post(f"/v1/members/{m}/dues/payments", {"months": [month], "amount": "40.00",
                                                      "paid_on": f"{month}-20"}, sec_a)
    today = str(county_today())
    transfer = (await post(f"/v1/members/{m}/transfers", {"to_org_id": b, "reason": "new job"}, sec_a))["id"]
    await post(f"/v1/members/{m}/transfers/{transfer}/approval",
               {"letter_number": f"F-{m[-6:]}", "channel": "paper", "issued_on": today, "dues_paid_up_to": "2026-03"},
               admin_headers)
    received = await post(f"/v1/members/{m}/transfers/{transfer}/reception",
                          {"letter_number": f"F-{m[-6:]}", "received_on": today}, sec_b)

    # No second command: the reception's own answer comes after the account moved.
    moved = await membership_db.fetchrow(
        "SELECT position, data::jsonb AS data FROM events WHERE stream_id = $1"
        " AND type = 'gb.membership.dues_continued_after_transfer.v1'", f"dues-{m}")
    assert moved is not None and moved["position"] > received["position"]

    # min_position waits for one record's event: the member's own record (whose organisation decides who may read
    # the dues) moved with the reception, on another record and partition than the dues account.
    seen = await gateway.get(f"/v1/members/{m}", params={"min_position": received["position"]}, headers=admin_headers)
    assert seen.status_code == 200, seen.text

    async def statement() -> dict[str, Any] | None:
        r = await gateway.get(f"/v1/members/{m}/dues", params={"year": 2026, "min_position": moved["position"]},
                              headers=sec_b)
        assert r.status_code == 200, r.text
        body = dict(r.json())
        return body if body["account"] and body["account"]["org_id"] == b else None

    body = await eventually(statement, what="the dues account kept by the receiving branch")
    assert body["account"]["previous_org_ids"] == [a] and body["account"]["continued_from"] == "2026-04"
    months = {row["month"]: row for row in body["months"]}
    assert [(months[mo]["org_id"], months[mo]["paid"]) for mo in JAN_TO_MAR] == [(a, "40.00")] * 3

    # B keeps it now: B records April; the old branch's token no longer reaches the member's dues (403).
    await post(f"/v1/members/{m}/dues/payments", {"months": ["2026-04"], "amount": "40.00", "paid_on": today},
               sec_b)
    await assert_refused(gateway, membership_db, f"/v1/members/{m}/dues/payments", 403, headers=sec_a,
                         json={"months": ["2026-05"], "amount": "40.00", "paid_on": today})
    # The explicit continuation is only for an account kept elsewhere: here it is a 409 saying why.
    problem = await assert_refused(gateway, membership_db, f"/v1/members/{m}/dues/continuation", 409,
                                   headers=admin_headers,
                                   json={"to_org_id": b, "letter_number": f"F-{m[-6:]}", "paid_up_to": "2026-03",
                                         "received_on": today})
    assert "already moved" in problem["detail"]


async def test_a_reception_whose_reaction_a_crash_cut_off_moves_the_account_once_by_the_sweep(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    a = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    b = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]

    async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = await gateway.post(path, json=body, headers=admin_headers)
        assert r.status_code == 201, f"{path}: {r.text}"
        return dict(r.json())

    m = (await post("/v1/members", member_body(a, name="Qian Jun")))["id"]
    await post(f"/v1/members/{m}/dues/account", {"org_id": a, "category": "wage_earner", "base": "4000.00",
                                                  "owed_from": "2026-01"})
    await post(f"/v1/members/{m}/dues/payments", {"months": ["2026-01"], "amount": "40.00", "paid_on": "2026-01-20"})
    today = county_today()
    letter = f"S-{m[-6:]}"
    transfer = (await post(f"/v1/members/{m}/transfers", {"to_org_id": b, "reason": "new job"}))["id"]
    await post(f"/v1/members/{m}/transfers/{transfer}/approval", {"letter_number": letter, "channel": "paper",
                                                                   "issued_on": str(today),
                                                                   "dues_paid_up_to": "2026-01"})
    # The reception stored as its handler stores it — and the process gone before the reaction ran.
    store: EventStore[Any] = EventStore(membership_db, REGISTRY)
    await store.start()
    try:
        stored = await store.append(await store.load(m), "member", [TransferReceived(
            member_id=m, transfer_id=transfer, letter_number=letter, received_on=today, from_org_id=a, to_org_id=b,
            to_external=None, certificate_closed=None, actor="branch_secretary:crashed", receiving_org_id=b)],
            CommandMeta(actor="branch_secretary:crashed", occurred_at=datetime.now(UTC),
                        correlation_id=str(uuid.uuid4())))
    finally:
        await store.stop()

    async def moved() -> int:
        return int(await membership_db.fetchval(
            "SELECT count(*) FROM events WHERE stream_id = $1 AND type = $2", f"dues-{m}",
            "gb.membership.dues_continued_after_transfer.v1"))

    await eventually(moved, what="the sweep moving the dues after the reception")

    async def swept_past() -> bool:
        mark = await membership_db.fetchval("SELECT position FROM dues_reception_progress WHERE name = 'dues'")
        return bool(mark and mark >= stored.last_position)

    await eventually(swept_past, what="the sweep's mark past the reception")
    assert await moved() == 1

    async def kept_by_b() -> dict[str, Any] | None:
        r = await gateway.get(f"/v1/members/{m}/dues", headers=admin_headers)
        account = r.json()["account"]
        return r.json() if account and account["org_id"] == b else None

    body = await eventually(kept_by_b, what="the dues account kept by the receiving branch in the read model")
    assert [(row["month"], row["org_id"], row["paid"]) for row in body["months"]] == [("2026-01", a, "40.00")]
