"""A deactivated partner's API tokens on the real system: refused (403, problem+json) on its own record, its
subscriptions and its delivery logs while the county keeps it deactivated, accepted again once it reactivates it;
another partner's token is served throughout (services/gateway/partner_access.py)."""

from __future__ import annotations

import uuid

import httpx

from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer, eventually
from tests.e2e.test_partner_records import register

#: The gateway learns of a deactivation within its refresh (2 s) after the projector applies it: far less.
WITHIN = 30.0


async def test_a_deactivated_partners_tokens_are_refused_until_it_is_reactivated(
        system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    mine, theirs = f"pt-{uuid.uuid4().hex[:6]}", f"pu-{uuid.uuid4().hex[:6]}"
    await register(gateway, admin_headers, mine)
    await register(gateway, admin_headers, theirs)
    me, other = bearer(system, Role.PARTNER, org_id=mine), bearer(system, Role.PARTNER, org_id=theirs)
    sids: dict[str, tuple[str, int]] = {}
    for pid, headers in ((mine, me), (theirs, other)):
        created = await gateway.post("/v1/subscriptions", headers=headers,
                                     json={"partner_id": pid, "protocol": "KAFKA"})
        assert created.status_code == 201, created.text
        sids[pid] = (created.json()["id"], created.json()["position"])

    def reads(pid: str) -> list[str]:
        sid, position = sids[pid]
        return [f"/v1/partners/{pid}?min_position={position}", f"/v1/subscriptions?min_position={position}",
                f"/v1/subscriptions/{sid}?min_position={position}", f"/v1/subscriptions/{sid}/deliveries"]

    async def statuses(pid: str, headers: dict[str, str]) -> dict[str, int]:
        return {path: (await gateway.get(path, headers=headers)).status_code for path in reads(pid)}

    async def all_served(pid: str, headers: dict[str, str]) -> bool:
        return set((await statuses(pid, headers)).values()) == {200}

    assert await all_served(mine, me) and await all_served(theirs, other)

    deactivated = await gateway.post(f"/v1/partners/{mine}/deactivation", json={"reason": "密码泄露"},
                                     headers=admin_headers)
    assert deactivated.status_code == 201, deactivated.text

    async def refused() -> bool:
        return (await gateway.get(f"/v1/partners/{mine}", headers=me)).status_code == 403
    await eventually(refused, timeout=WITHIN, what="the deactivated partner's token refused")

    # Every read of its own is refused now, with a problem that says why and whom to ask — before any of the
    # route's own checks (a subscription's own 403, a delivery log relayed from the partners service).
    for path in reads(mine):
        answer = await gateway.get(path, headers=me)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json", path
        assert "deactivated" in answer.json()["detail"] and "county" in answer.json()["detail"], answer.text
    # So are its writes: deleting its subscription too (a 403, not the partners service's own answer).
    gone = await gateway.delete(f"/v1/subscriptions/{sids[mine][0]}", headers=me)
    assert gone.status_code == 403 and "deactivated" in gone.json()["detail"], gone.text
    # The county still reads the partner (and sees why), and another partner is served as before.
    record = await gateway.get(f"/v1/partners/{mine}", headers=admin_headers)
    assert record.status_code == 200 and record.json()["state"] == "deactivated", record.text
    assert await all_served(theirs, other)

    reactivated = await gateway.post(f"/v1/partners/{mine}/reactivation", headers=admin_headers)
    assert reactivated.status_code == 201, reactivated.text
    await eventually(lambda: all_served(mine, me), timeout=WITHIN, what="the reactivated partner's token served")
    assert await all_served(theirs, other)


async def test_the_county_issues_a_partner_token_only_for_a_registered_active_partner(
        gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    partner = f"pv-{uuid.uuid4().hex[:6]}"

    async def issue(partner_id: str) -> httpx.Response:
        return await gateway.post("/v1/tokens", headers=admin_headers, json={
            "subject": f"{partner_id}-system", "role": "partner", "org_id": partner_id, "days": 7})

    typo = await issue(partner + "x")
    assert typo.status_code == 422 and "register it first" in typo.json()["detail"], typo.text
    await register(gateway, admin_headers, partner)

    async def issued() -> httpx.Response | None:
        answer = await issue(partner)
        return answer if answer.status_code == 201 else None

    token = await eventually(issued, what="a token for the partner once the gateway knows it")
    assert token.json()["org_id"] == partner
    deactivated = await gateway.post(f"/v1/partners/{partner}/deactivation", json={"reason": "协议到期"},
                                     headers=admin_headers)
    assert deactivated.status_code == 201, deactivated.text

    async def refused() -> bool:
        return (await issue(partner)).status_code == 409
    await eventually(refused, timeout=WITHIN, what="no token issued for a deactivated partner")
