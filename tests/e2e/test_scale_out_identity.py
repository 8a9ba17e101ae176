"""Who a person is and who is calling hold with two membership instances on one store (issue 15: scale-out).

One member record per national ID number, and each gateway credential accepted once: both were kept by
one process (a claim before the append; a set in memory) and are now kept by membership's PostgreSQL.
The second instance is started by the test (tests/e2e/instances.py) beside the running system's.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import httpx
import orjson

from services.kernel import credential
from services.kernel.settings import Settings
from services.membership.contract.service import SERVICE as MEMBERSHIP
from tests.e2e.conftest import branch_body, member_body, national_id
from tests.e2e.instances import COUNTY, second_instance, signed_sender

#: Numbers registered twice at once, one registration on each instance: each pair is one chance of the race.
NUMBERS = 3


async def test_two_registrations_of_one_id_number_on_two_membership_instances_give_one_member(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
    tmp_path: Path,
) -> None:
    branch = await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)
    assert branch.status_code == 201, branch.text
    numbers = [national_id() for _ in range(NUMBERS)]
    async with second_instance(system, "membership", tmp_path / "membership-2.log") as other, \
            signed_sender(system, "membership") as send:
        instances = (MEMBERSHIP.base_url(system), other)
        raced = await asyncio.gather(*(send(instance, "/members", member_body(branch.json()["id"], national_id=n))
                                       for n in numbers for instance in instances))
        # The same refusal as a registration sent when the first was long recorded.
        late = await send(instances[1], "/members", member_body(branch.json()["id"], national_id=numbers[0]))
    assert late.status_code == 409, late.text
    for number, pair in zip(numbers, zip(raced[::2], raced[1::2], strict=True), strict=True):
        assert sorted(answer.status_code for answer in pair) == [201, 409], [answer.text for answer in pair]
        refused = next(answer for answer in pair if answer.status_code == 409).json()
        assert (refused["type"], refused["title"]) == (late.json()["type"], late.json()["title"])
        (member_id,) = [answer.json()["id"] for answer in pair if answer.status_code == 201]
        assert refused["member_id"] == member_id, "the refusal names the member who holds the number"
        # The number's key is held by the one member, and only its keyed hash is stored.
        held = await membership_db.fetch("SELECT key FROM reservations WHERE holder = $1", member_id)
        assert [row["key"].startswith("national-id:") for row in held] == [True]
        assert number not in held[0]["key"]


async def test_a_credential_used_on_one_membership_instance_is_refused_by_the_other(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], tmp_path: Path,
) -> None:
    branch = await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)
    assert branch.status_code == 201, branch.text
    content = orjson.dumps(member_body(branch.json()["id"]))
    token = credential.sign(system.internal_secret, audience="membership", actor=COUNTY, method="POST",
                            request_target="/members", body=content)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with second_instance(system, "membership", tmp_path / "membership-2.log") as other, \
            httpx.AsyncClient(timeout=30.0) as client:
        first = await client.post(f"{MEMBERSHIP.base_url(system)}/members", content=content, headers=headers)
        assert first.status_code == 201, first.text
        replayed = await client.post(f"{other}/members", content=content, headers=headers)
    assert replayed.status_code == 401, replayed.text
    assert replayed.headers["content-type"] == "application/problem+json"
    assert "already used" in replayed.json()["detail"]
