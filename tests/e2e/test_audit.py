"""Auditors read a record's history as CloudEvents, as of a time or a version, with the hash chain verified."""

from __future__ import annotations

import asyncpg
import httpx

from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer, branch_body, eventually, member_body, outflow_body


async def test_an_auditor_sees_a_members_history_and_an_edited_event_breaks_the_chain(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    member = (await gateway.post("/v1/members", json=member_body(branch), headers=admin_headers)).json()["id"]
    out = await gateway.post(f"/v1/members/{member}/outflows", json=outflow_body(), headers=admin_headers)
    assert out.status_code == 201, out.text

    history = (await gateway.get(f"/v1/audit/streams/{member}", headers=admin_headers)).json()
    assert history["verified"] is True and history["version"] == 2
    assert [e["type"] for e in history["events"]] == ["gb.membership.member_registered.v2",
                                                      "gb.membership.outflow_registered.v2"]
    assert history["events"][0]["specversion"] == "1.0" and history["events"][0]["subject"] == member
    first = (await gateway.get(f"/v1/audit/streams/{member}", params={"up_to_version": 1},
                               headers=admin_headers)).json()
    assert [e["streamversion"] for e in first["events"]] == ["1"]

    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)
    assert (await gateway.get(f"/v1/audit/streams/{member}", headers=secretary)).status_code == 403

    original = await membership_db.fetchval("SELECT data::text FROM events WHERE stream_id = $1 AND version = 2",
                                            member)
    # The edit below must come after the relay published the event: an edit the relay reads is what Kafka and
    # the transparency log then hold, and the session's log audits (tests/e2e/test_audit_log.py) rightly call
    # the restored row "not what was logged".
    logged = history["events"][1]["id"]

    async def in_the_log() -> bool:
        answer = await gateway.get("/v1/audit/proofs/inclusion", params={"event_id": logged}, headers=admin_headers)
        return answer.status_code == 200

    await eventually(in_the_log, what="the outflow in the transparency log")
    await membership_db.execute(
        "UPDATE events SET data = replace(data::text, 'Dongguan', 'Elsewhere')::json WHERE stream_id = $1"
        " AND version = 2", member)
    try:
        tampered = (await gateway.get(f"/v1/audit/streams/{member}", headers=admin_headers)).json()
        assert tampered["verified"] is False
        assert tampered["problems"] == ["version 2: content does not match its hash"]
    finally:  # the rest of the session's audits (tests/e2e/test_audit_log.py) verify the whole history
        await membership_db.execute("UPDATE events SET data = $2::json WHERE stream_id = $1 AND version = 2", member,
                                    original)


async def test_a_record_the_store_does_not_hold_is_not_found_never_verified_empty(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    branch = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    for params in ({}, {"service": "secondment"}, {"as_of": "2020-01-01T00:00:00+08:00"}):
        answer = await gateway.get(f"/v1/audit/streams/{branch}", params=params, headers=admin_headers)
        assert answer.status_code == (200 if not params else 404), (params, answer.text)
    missing = await gateway.get("/v1/audit/streams/no-such-record", headers=admin_headers)
    assert missing.status_code == 404 and "no event of record no-such-record" in missing.json()["detail"]
    # An id that is no id never reaches the service, nor its logs.
    for odd in ("\u202e", "138 1234 5678"):
        refused = await gateway.get(f"/v1/audit/streams/{odd}", headers=admin_headers)
        assert refused.status_code == 422, (odd, refused.text)
