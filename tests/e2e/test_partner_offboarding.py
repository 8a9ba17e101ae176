"""Off-boarding a partner on the real system: a rotated Kafka password replaces the old one, a deactivated
partner's principal can read nothing more — not even on a connection it opened before — and nothing more is
routed to its topic, and a reactivated one reads again with a new password.

aiokafka's own consumer, refused a topic, logs and returns no records; so the refusals are asked of the broker
directly: a login (SASL/SCRAM), a Fetch on a connection authenticated before the deactivation, and the ACLs the
broker holds for the principal (tests/integration/test_partner_kafka_access.py's helpers).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError, for_code
from aiokafka.protocol.fetch import FetchRequest

from services.kernel.kafka import event_consumer
from services.kernel.settings import Settings
from tests.e2e.conftest import eventually, member_body
from tests.e2e.test_partner_router import (
    REGISTERED,
    ROUTED_WAIT,
    created,
    establish,
    provisioned,
    read_feed,
    register_partner,
    wait_until_published,
    wait_until_routed,
)
from tests.integration.test_partner_kafka_access import partner_acls, provision

BOUND = 30.0


async def credentials(gateway: httpx.AsyncClient, admin: dict[str, str], partner_id: str) -> dict[str, Any]:
    answer = await gateway.get(f"/v1/partners/{partner_id}/kafka-credentials", headers=admin)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def login(creds: dict[str, Any]) -> dict[str, Any]:
    return {"bootstrap_servers": creds["bootstrap_servers"], "security_protocol": creds["security_protocol"],
            "sasl_mechanism": creds["sasl_mechanism"], "sasl_plain_username": creds["username"],
            "sasl_plain_password": creds["password"], "request_timeout_ms": 5000}


async def logs_in(creds: dict[str, Any]) -> bool:
    """Whether the broker takes this login (a refused SCRAM login fails the consumer's start quickly)."""
    consumer = AIOKafkaConsumer(group_id=None, **login(creds))
    try:
        await asyncio.wait_for(consumer.start(), BOUND)
        return True
    except KafkaError:
        return False
    finally:
        await consumer.stop()


async def fetch_error(client: AIOKafkaClient, topic: str) -> type[Exception] | None:
    """The broker's answer to a Fetch of ``topic``'s partition 0 on the client's connection to its leader."""
    leader = client.cluster.leader_for_partition(TopicPartition(topic, 0))
    node = leader if leader is not None and leader >= 0 else next(iter(client.cluster.brokers())).nodeId
    response: Any = await asyncio.wait_for(
        client.send(node, FetchRequest(100, 1, 1_000_000, 0, [(topic, [(0, 0, 1_000_000)])])), BOUND)
    ((_topic, ((_partition, code, *_rest),)),) = response.topics
    return None if code == 0 else for_code(code)


async def topic_subjects(settings: Settings, topic: str) -> set[str]:
    """The subjects on a partner topic, read as the operator (the partner may no longer read it)."""
    consumer = event_consumer(settings, "test-offboarding")
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        keys: set[str] = set()
        while await consumer.position(tp) < end:
            for records in (await consumer.getmany(tp, timeout_ms=500)).values():
                keys |= {(r.key or b"").decode() for r in records}
        return keys
    finally:
        await consumer.stop()


async def test_a_partner_is_rotated_deactivated_and_reactivated_on_kafka(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    run = uuid.uuid4().hex[:8]
    places = await establish(gateway, admin_headers, run, ("a",), branches_each=1)
    branch, pid = places.branches["a"][0], f"off-{run}"
    await register_partner(gateway, admin_headers, pid, townships=[places.townships["a"]], event_types=[REGISTERED],
                           personal_data="none", types=[REGISTERED])
    await provisioned(gateway, admin_headers, pid)

    async def member_on_feed(member_id: str) -> bool:
        return f"member/{member_id}" in {r.key.decode() for r in await read_feed(gateway, admin_headers, pid)}

    first = await created(gateway, "/v1/members", member_body(branch), admin_headers)
    await eventually(lambda: member_on_feed(first), timeout=ROUTED_WAIT, what="the first member on the feed",
                     every=0.5)

    # Rotation: a new password (generation 1) logs in and reads; the one before stops logging in.
    original = await credentials(gateway, admin_headers, pid)
    assert original["credential_generation"] == 0
    assert (await gateway.post(f"/v1/partners/{pid}/credential-rotation", headers=admin_headers)).status_code == 201
    rotated = await credentials(gateway, admin_headers, pid)
    assert rotated["credential_generation"] == 1 and rotated["password"] != original["password"]

    async def old_refused() -> bool:
        return not await logs_in(original)
    await eventually(old_refused, timeout=60, what="the password before the rotation refused", every=0.5)
    assert await logs_in(rotated) and await member_on_feed(first)

    # A connection the partner authenticated before its deactivation reads now; afterwards it is refused.
    topic = rotated["topic"]
    client = AIOKafkaClient(**login(rotated))
    await asyncio.wait_for(client.bootstrap(), BOUND)
    try:
        assert await fetch_error(client, topic) is None
        answer = await gateway.post(f"/v1/partners/{pid}/deactivation", json={"reason": "协议到期"},
                                    headers=admin_headers)
        assert answer.status_code == 201, answer.text

        async def open_connection_refused() -> bool:
            try:
                return await fetch_error(client, topic) is TopicAuthorizationFailedError
            except KafkaError:
                # The partner listener ended the connection's session (KIP-368, test_partner_reauthentication.py)
                # and the client's new login was refused: the credential is gone too (asserted below).
                return not await logs_in(rotated)
        await eventually(open_connection_refused, timeout=60, what="the open connection's fetch refused", every=0.5)
    finally:
        await client.close()
    assert not await logs_in(rotated)  # the credential is deleted …
    assert await partner_acls(system, pid) == set()  # … and the principal holds no ACL
    again = provision(system, pid, "--revoke")  # what a restarted provisioner does: nothing left to take
    assert again.returncode == 0 and "0 ACLs" in again.stderr and "already gone" in again.stderr, again.stderr
    record = await gateway.get(f"/v1/partners/{pid}", params={"min_position": answer.json()["position"]},
                               headers=admin_headers)
    assert (record.json()["state"], record.json()["deactivation_reason"]) == ("deactivated", "协议到期")
    for path, body in ((f"/v1/partners/{pid}/deactivation", {"reason": "again"}),
                       (f"/v1/partners/{pid}/credential-rotation", {}),
                       ("/v1/subscriptions", {"partner_id": pid, "protocol": "KAFKA"})):
        refused = await gateway.post(path, json=body, headers=admin_headers)
        assert refused.status_code == 409 and "deactivated" in refused.json()["detail"], (path, refused.text)
    assert (await gateway.get(f"/v1/partners/{pid}/kafka-credentials", headers=admin_headers)).status_code == 409

    # An event in its scope recorded now is never routed to its topic (the topic itself is kept).
    second = await created(gateway, "/v1/members", member_body(branch), admin_headers)
    await wait_until_published(membership_db)
    await wait_until_routed(system)
    kept = await topic_subjects(system, topic)
    assert f"member/{first}" in kept and f"member/{second}" not in kept

    # Reactivation: a new password again (generation 2); routing resumes with the next event.
    assert (await gateway.post(f"/v1/partners/{pid}/reactivation", headers=admin_headers)).status_code == 201
    back = await credentials(gateway, admin_headers, pid)
    assert back["credential_generation"] == 2 and back["password"] != rotated["password"]
    await provisioned(gateway, admin_headers, pid)
    third = await created(gateway, "/v1/members", member_body(branch), admin_headers)
    await eventually(lambda: member_on_feed(third), timeout=ROUTED_WAIT, what="a member after the reactivation",
                     every=0.5)
    assert not await member_on_feed(second)
    assert not await logs_in(rotated) and not await logs_in(original)
