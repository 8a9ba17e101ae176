"""Erasure forgets a person's retry records too: each kept a fingerprint of a request whose body held their ID number
or phone. After the erasure no retry record of their stream remains but the erasure's own (whose retry still answers
as it did), and every fingerprint the system stores is keyed."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from services.kernel.retries import FINGERPRINT_SCHEME
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer, branch_body, member_body, national_id, outflow_body
from tests.e2e.test_personal_data_scan import distinctive_phone


async def test_after_erasure_no_retry_record_of_the_person_remains_but_the_erasures_own(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    branch = await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)
    assert branch.status_code == 201, branch.text
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch.json()["id"])
    keys = [f"retry-{uuid.uuid4()}" for _ in range(3)]
    registered = await gateway.post("/v1/members", headers={**secretary, "Idempotency-Key": keys[0]}, json=member_body(
        branch.json()["id"], national_id=national_id(), contact={"phone": distinctive_phone()}))
    assert registered.status_code == 201, registered.text
    member_id = registered.json()["id"]
    outflow = outflow_body(contact={"phone": distinctive_phone()})
    out = await gateway.post(f"/v1/members/{member_id}/outflows", headers={**secretary, "Idempotency-Key": keys[1]},
                             json=outflow)
    assert out.status_code == 201, out.text
    before = await membership_db.fetch("SELECT key, fingerprint FROM idempotency_keys WHERE stream_id = $1", member_id)
    assert len(before) == 2 and all(r["fingerprint"].startswith(FINGERPRINT_SCHEME) for r in before), before

    erase = {**admin_headers, "Idempotency-Key": keys[2]}
    erased = await gateway.post(f"/v1/members/{member_id}/erasure", headers=erase, json={"reason": "PIPL art. 47"})
    assert erased.status_code == 201, erased.text

    after = await membership_db.fetch("SELECT key FROM idempotency_keys WHERE stream_id = $1", member_id)
    assert len(after) == 1 and after[0]["key"].endswith(f":{keys[2]}"), after
    # The erasure's retry answers as it did (not 409: already erased).
    again = await gateway.post(f"/v1/members/{member_id}/erasure", headers=erase, json={"reason": "PIPL art. 47"})
    assert again.status_code == 201 and again.json()["replayed"] is True, again.text
    assert again.json()["position"] == erased.json()["position"]
    # A late retry of the outflow is decided again, and finds no key to seal the phone with: never applied twice.
    late = await gateway.post(f"/v1/members/{member_id}/outflows", headers={**secretary, "Idempotency-Key": keys[1]},
                              json=outflow)
    assert late.status_code == 410, late.text
