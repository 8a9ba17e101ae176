"""Erasure (PIPL): register, publish, read in clear, forget — then the number and the phone are nowhere to be
recovered (store, Kafka, read models, logs), the person's key is gone, and the audit still verifies."""

from __future__ import annotations

import asyncpg
import httpx

from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.identity import Actor, Role
from tests.e2e.conftest import bearer, branch_body, eventually, member_body, national_id, outflow_body
from tests.e2e.test_personal_data_scan import digits_of, distinctive_phone, scan_everything

ADMIN = Actor(subject="county-admin", role=Role.COUNTY_ADMIN)
ERASED_NAME = "（已删除）"


async def read_personal_data(settings: Settings, gateway: httpx.AsyncClient, member_id: str,
                             actor: Actor) -> httpx.Response:
    """``GET /v1/members/{id}/personal-data`` through the gateway (membership decrypts, or answers 410)."""
    return await gateway.get(f"/v1/members/{member_id}/personal-data",
                             headers=bearer(settings, actor.role, actor.org_id, actor.subject))


async def test_a_forgotten_persons_id_number_and_phone_are_nowhere_recoverable_and_the_audit_still_verifies(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
    read_db: asyncpg.Pool,
) -> None:
    branch = await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)
    assert branch.status_code == 201, branch.text
    branch_id = branch.json()["id"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch_id)
    number, phone, away_phone = national_id(), distinctive_phone(), distinctive_phone()
    registered = await gateway.post("/v1/members", headers=secretary, json=member_body(
        branch_id, name="Erasable Person", national_id=number, contact={"phone": phone, "wechat": "wx-erasable"}))
    assert registered.status_code == 201, registered.text
    member_id = registered.json()["id"]
    out = await gateway.post(f"/v1/members/{member_id}/outflows", headers=secretary,
                             json=outflow_body(contact={"phone": away_phone, "address": "Chang'an, Dongguan"}))
    assert out.status_code == 201, out.text

    # Published: the view has it, masked.
    view = await gateway.get(f"/v1/members/{member_id}", params={"min_position": out.json()["position"]},
                             headers=admin_headers)
    assert view.status_code == 200 and view.json()["national_id"] == number[:3] + "*" * 14 + number[-1], view.text

    # Read in clear: only through membership, for the county, the township and the person themself.
    full = await read_personal_data(system, gateway, member_id, ADMIN)
    assert full.status_code == 200, full.text
    assert full.json()["national_id"] == number
    assert full.json()["contact"] == {"phone": away_phone, "address": "Chang'an, Dongguan", "wechat": None}
    own = await read_personal_data(system, gateway, member_id, Actor(subject=member_id, role=Role.MEMBER))
    assert own.status_code == 200 and own.json()["national_id"] == number, own.text
    for outsider in (Actor(subject="sec", role=Role.BRANCH_SECRETARY, org_id=branch_id),
                     Actor(subject="someone-else", role=Role.MEMBER)):
        refused = await read_personal_data(system, gateway, member_id, outsider)
        assert refused.status_code == 403, refused.text

    # Only the county forgets.
    assert (await gateway.post(f"/v1/members/{member_id}/erasure", headers=secretary,
                               json={"reason": "the person's request"})).status_code == 403
    erased = await gateway.post(f"/v1/members/{member_id}/erasure", headers=admin_headers,
                                json={"reason": "request of 2026-11-30 under PIPL art. 47"})
    assert erased.status_code == 201, erased.text
    again = await gateway.post(f"/v1/members/{member_id}/erasure", headers=admin_headers,
                               json={"reason": "twice"})
    assert again.status_code == 409, again.text

    # The key is destroyed and the number's keyed hash is gone from the index.
    key = await membership_db.fetchrow("SELECT wrapped_key, erased_at FROM person_keys WHERE person_id = $1", member_id)
    assert key is not None and key["wrapped_key"] is None and key["erased_at"] is not None
    assert await membership_db.fetchval("SELECT count(*) FROM national_id_index WHERE person_id = $1", member_id) == 0

    # The clear values can no longer be read, even by the county.
    gone = await read_personal_data(system, gateway, member_id, ADMIN)
    assert gone.status_code == 410 and gone.headers["content-type"] == "application/problem+json", gone.text

    # The view shows the person as erased, with nothing personal left.
    after = await gateway.get(f"/v1/members/{member_id}", params={"min_position": erased.json()["position"]},
                              headers=admin_headers)
    record = after.json()
    assert (record["name"], record["national_id"], record["contact"]) == (ERASED_NAME, "", {}), record
    assert record["erased_on"] and "contact" not in (record["outflow"] or {})
    # Nothing personal is recorded for them again: a new contact has no key to be sealed with.
    returned = await gateway.post(f"/v1/members/{member_id}/return", headers=secretary,
                                  json={"returned_on": county_today().isoformat()})
    assert returned.status_code == 201, returned.text
    refused = await gateway.post(f"/v1/members/{member_id}/outflows", headers=secretary,
                                 json=outflow_body(contact={"phone": distinctive_phone()}))
    assert refused.status_code == 410, refused.text

    # History and its hash chain stand: every event is still there, ciphertext included.
    audit = await gateway.get(f"/v1/audit/streams/{member_id}", headers=admin_headers)
    assert audit.status_code == 200, audit.text
    history = audit.json()
    assert history["verified"] is True and not history["problems"]
    types = [e["type"] for e in history["events"]]
    assert types[0] == "gb.membership.member_registered.v2" and "gb.membership.personal_data_erased.v1" in types
    assert history["events"][0]["data"]["personal"]["ciphertext"]

    # Nowhere recoverable: not on Kafka, in any table or in any log (the scan reads them all).
    await eventually(lambda: read_db.fetchval("SELECT erased_on IS NOT NULL FROM members_view WHERE member_id = $1",
                                              member_id), what="the erasure in the view")
    found = await scan_everything(system, [number, digits_of(phone), digits_of(away_phone)])
    assert not found, "\n".join(map(str, found[:20]))
