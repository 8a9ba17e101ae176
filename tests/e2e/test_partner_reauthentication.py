"""A credential rotation ends the connections a partner made with the password before it (KIP-368).

Partners log in on a listener of their own, ``PARTNER``, whose sessions last at most
``listener.name.partner.connections.max.reauth.ms`` (Settings.kafka_partner_reauth_ms; ``./gb test`` sets it short).
A connection opened with the generation-0 password reads; after the rotation, once the provisioner has applied
it, that very connection is closed by the broker within the interval (aiokafka cannot re-authenticate, so the
broker closes it when its session ends; a client that can is refused the old password), the old password logs in
no more, and the new one logs in and reads — across more than one interval, reconnecting by itself. An internal
client on ``CLIENT`` keeps one connection open across the same time: that listener sets no session lifetime.

The connections are aiokafka's own (``AIOKafkaClient._get_conn``): the test needs a handle on the one connection
made before the rotation, which the client's public ``send`` would silently replace by a new login.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.client import AIOKafkaClient
from aiokafka.conn import AIOKafkaConnection
from aiokafka.errors import KafkaConnectionError
from aiokafka.protocol.fetch import FetchRequest

from services.kernel.kafka import connection_options
from services.kernel.settings import Settings
from tests.e2e.conftest import eventually
from tests.e2e.test_partner_offboarding import credentials, login, logs_in
from tests.e2e.test_partner_router import REGISTERED, establish, provisioned, register_partner

BOUND = 30.0
#: Beyond the session lifetime: the broker closes an expired connection at its next request (polled every
#: POLL seconds), and the clocks of the broker and of this test start the session a moment apart.
SLACK = 15.0
POLL = 0.5


def lifetime(settings: Settings) -> float:
    """The PARTNER listener's session lifetime, in seconds."""
    return settings.kafka_partner_reauth_ms / 1000


async def connect(options: dict[str, Any], topic: str) -> tuple[AIOKafkaClient, AIOKafkaConnection]:
    """A client and its connection (authenticated now) to the leader of ``topic``'s partition 0."""
    client = AIOKafkaClient(**options)
    await asyncio.wait_for(client.bootstrap(), BOUND)
    await asyncio.wait_for(client.force_metadata_update(), BOUND)
    leader = client.cluster.leader_for_partition(TopicPartition(topic, 0))
    node = leader if leader is not None and leader >= 0 else next(iter(client.cluster.brokers())).nodeId
    conn = await asyncio.wait_for(client._get_conn(node), BOUND)
    assert conn is not None, f"no connection to node {node}"
    return client, conn


async def reads(conn: AIOKafkaConnection, topic: str) -> bool:
    """A Fetch of ``topic``'s partition 0 from offset 0 on this very connection: True when it returns records."""
    response: Any = await asyncio.wait_for(
        conn.send(FetchRequest(100, 1, 1_000_000, 0, [(topic, [(0, 0, 1_000_000)])])), BOUND)
    ((_topic, ((_partition, code, high_watermark, *rest),)),) = response.topics
    assert code == 0, f"fetch refused with error code {code}"
    return high_watermark >= 1 and bool(rest[-1])


async def operator_writes(system: Settings, topic: str, value: bytes) -> None:
    """One record on ``topic``, written as the operator on the internal listener (the router's part)."""
    producer = AIOKafkaProducer(**connection_options(system), acks="all", request_timeout_ms=5000)
    await asyncio.wait_for(producer.start(), BOUND)
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, value, key=b"subject"), BOUND)
    finally:
        await producer.stop()


async def closed_within(conn: AIOKafkaConnection, topic: str, seconds: float) -> float | None:
    """Fetch on ``conn`` every POLL seconds until the broker closes it; the seconds it took, or None."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            await reads(conn, topic)
        except (TimeoutError, KafkaConnectionError):
            return time.monotonic() - started
        await asyncio.sleep(POLL)
    return None


async def test_a_rotation_closes_the_connection_made_with_the_old_password(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    run = uuid.uuid4().hex[:8]
    places = await establish(gateway, admin_headers, run, ("a",), branches_each=1)
    pid = f"reauth-{run}"
    await register_partner(gateway, admin_headers, pid, townships=[places.townships["a"]], event_types=[REGISTERED],
                           personal_data="none", types=[REGISTERED])
    await provisioned(gateway, admin_headers, pid)
    original = await credentials(gateway, admin_headers, pid)
    topic = original["topic"]
    assert original["credential_generation"] == 0
    # The partner is handed the PARTNER listener, not the internal one.
    assert original["bootstrap_servers"] == system.partner_bootstrap_servers != system.bootstrap_servers

    # One record on the partner's topic, written by the operator (the router's part).
    await operator_writes(system, topic, b"before the rotation")

    internal, internal_conn = await connect({**connection_options(system), "request_timeout_ms": 5000}, topic)
    old, old_conn = await connect(login(original), topic)
    opened = time.monotonic()
    try:
        assert await reads(old_conn, topic), "the generation-0 connection reads before the rotation"
        assert await reads(internal_conn, topic)

        rotation = await gateway.post(f"/v1/partners/{pid}/credential-rotation", headers=admin_headers)
        assert rotation.status_code == 201, rotation.text
        rotated = await credentials(gateway, admin_headers, pid)
        assert rotated["credential_generation"] == 1 and rotated["password"] != original["password"]

        async def applied() -> bool:  # the provisioner replaced the SCRAM credential
            return await logs_in(rotated) and not await logs_in(original)
        await eventually(applied, timeout=60, what="the rotation applied on Kafka", every=POLL)

        # The connection made with the old password is closed within its session's lifetime from its login.
        left = max(lifetime(system) - (time.monotonic() - opened), 0.0) + SLACK
        took = await closed_within(old_conn, topic, left)
        assert took is not None, (f"the connection made with the generation-0 password still reads {left:.0f} s "
                                  f"after the rotation (session lifetime {lifetime(system):.0f} s)")
        assert not old_conn.connected()
        assert not await logs_in(original), "the old password must not log in again"

        # The new password logs in and reads; an aiokafka consumer in a group of the partner's, as in
        # examples/partner_kafka_consumer.py, keeps reading and committing across its sessions' end (the broker
        # closes its connections; it logs in again by itself).
        consumer = AIOKafkaConsumer(topic, **login(rotated), group_id=f"{rotated['group_prefix']}reauth",
                                    enable_auto_commit=False, auto_offset_reset="earliest", metadata_max_age_ms=5000)
        await asyncio.wait_for(consumer.start(), BOUND)
        try:
            tp = TopicPartition(topic, 0)
            first = await asyncio.wait_for(consumer.getone(), BOUND)
            assert first.value == b"before the rotation"
            await asyncio.wait_for(consumer.commit(), BOUND)
            await asyncio.sleep(lifetime(system) + 2)
            await operator_writes(system, topic, b"after the session")
            later = await asyncio.wait_for(consumer.getone(), BOUND + lifetime(system))
            assert later.value == b"after the session"
            await asyncio.wait_for(consumer.commit(), BOUND)
            assert await asyncio.wait_for(consumer.committed(tp), BOUND) == later.offset + 1
        finally:
            await consumer.stop()

        # The internal client's connection, opened as long ago, still reads: CLIENT sets no session lifetime.
        assert time.monotonic() - opened > lifetime(system)
        assert internal_conn.connected() and await reads(internal_conn, topic)
    finally:
        await old.close()
        await internal.close()
