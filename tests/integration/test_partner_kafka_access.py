"""Partner provisioning on the real broker: what ``ensure_partner`` gives a partner is all it gets.

Two fresh partners are provisioned through the provisioner's command line
(``python -m services.partners.provisioning``: a partner's internals are not imported from outside
the service), with a GB_PARTNERS_SECRET of the test's own. Each partner then logs in with the password
docs/partners.md derives — computed here from that description, not by the service's code — and may
read its own topic with its own groups, and nothing else. Every refusal must come quickly as an
error: a hang fails the bounded wait, never passes.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import os
import secrets as random_secrets
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.client import AIOKafkaClient
from aiokafka.conn import AIOKafkaConnection
from aiokafka.errors import GroupAuthorizationFailedError, KafkaError, TopicAuthorizationFailedError, for_code
from aiokafka.protocol.admin import DescribeAclsRequest, SaslAuthenticateRequest
from aiokafka.protocol.fetch import FetchRequest

from infra import acls, secrets
from services.kernel.kafka import admin_client, connection_options, upsert_scram_credential
from services.kernel.settings import REPO_ROOT, Settings
from services.kernel.topics import event_topic
from services.partners.contract.kafka import partner_group_prefix, partner_principal, partner_topic
from tests.e2e.conftest import eventually

#: A refusal must arrive well within this; the clients' own request timeouts are 5 s.
BOUND = 30.0
#: This run's server secret: the partners' passwords exist only for this test module.
PARTNERS_SECRET = random_secrets.token_urlsafe(32)


def derived_password(partner_id: str, server_secret: str = PARTNERS_SECRET) -> str:
    """docs/partners.md: HMAC-SHA256(GB_PARTNERS_SECRET, "kafka:" + partner id), URL-safe base64, no padding."""
    digest = hmac.new(server_secret.encode(), f"kafka:{partner_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def provision(settings: Settings, *partner_ids: str, principal: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the provisioner for ``partner_ids`` as ``principal`` (default: the operator, as the tests are)."""
    env = {k: v for k, v in os.environ.items() if k not in ("GB_KAFKA_USERNAME", "GB_KAFKA_PASSWORD")}
    env["GB_PARTNERS_SECRET"] = PARTNERS_SECRET
    if principal is not None:
        env.update(GB_KAFKA_USERNAME=principal, GB_KAFKA_PASSWORD=secrets.kafka_password(settings, principal))
    return subprocess.run([sys.executable, "-m", "services.partners.provisioning", *partner_ids, "--generation", "0"],
                          env=env,
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


#: docs/partners.md: partners log in with SCRAM-SHA-256 on the partners' listener.
PARTNER_MECHANISM = "SCRAM-SHA-256"


def as_partner(settings: Settings, partner_id: str, password: str | None = None) -> dict[str, Any]:
    """Client options of the partner's own login, as the county hands them to the partner: on the partners'
    listener (PARTNER), not the internal one."""
    login = dataclasses.replace(settings, kafka_username=partner_principal(partner_id),
                                kafka_password=derived_password(partner_id) if password is None else password)
    return {**connection_options(login), "bootstrap_servers": settings.partner_bootstrap_servers,
            "sasl_mechanism": PARTNER_MECHANISM, "request_timeout_ms": 5000, "metadata_max_age_ms": 5000,
            "auto_offset_reset": "earliest", "enable_auto_commit": False}


@dataclasses.dataclass(frozen=True)
class Partners:
    a: str
    b: str


@pytest.fixture(scope="module")
async def partners(settings: Settings) -> AsyncIterator[Partners]:
    found = Partners(a=f"pa-{uuid.uuid4().hex[:8]}", b=f"pb-{uuid.uuid4().hex[:8]}")
    result = provision(settings, found.a, found.b)
    assert result.returncode == 0, result.stderr
    # One record on each partner topic, written by the operator (the router's part in production).
    producer = AIOKafkaProducer(**connection_options(settings), acks="all", request_timeout_ms=5000)
    await asyncio.wait_for(producer.start(), BOUND)
    try:
        for partner_id in (found.a, found.b):
            await asyncio.wait_for(producer.send_and_wait(partner_topic(partner_id), f"for {partner_id}".encode(),
                                                          key=b"subject"), BOUND)
    finally:
        await producer.stop()
    yield found


async def read_own_record(settings: Settings, partner_id: str) -> list[bytes]:
    """The partner subscribes to its topic with a group under its prefix and commits what it read."""
    group = f"{partner_group_prefix(partner_id)}reader-{uuid.uuid4().hex[:6]}"
    consumer = AIOKafkaConsumer(partner_topic(partner_id), group_id=group, **as_partner(settings, partner_id))
    await asyncio.wait_for(consumer.start(), BOUND)
    try:
        values: list[bytes] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BOUND
        while not values and loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            values += [r.value for records in batches.values() for r in records if r.value is not None]
        await asyncio.wait_for(consumer.commit(), BOUND)
        return values
    finally:
        await consumer.stop()


async def fetch_error(settings: Settings, partner_id: str, topic: str) -> type[Exception] | None:
    """The error the broker answers when the partner fetches ``topic``'s partition 0 directly, the way a
    client that assigns itself the partition does. (aiokafka's own consumer, refused the topic's
    metadata, never sends that fetch: it logs "not authorized" and returns nothing, so ask directly.)"""
    client = AIOKafkaClient(**{k: v for k, v in as_partner(settings, partner_id).items()
                               if k not in ("auto_offset_reset", "enable_auto_commit")})
    await asyncio.wait_for(client.bootstrap(), BOUND)
    try:
        node = next(iter(client.cluster.brokers())).nodeId
        response: Any = await asyncio.wait_for(
            client.send(node, FetchRequest(100, 1, 1_000_000, 0, [(topic, [(0, 0, 1_000_000)])])), BOUND)
        ((_topic, ((_partition, code, *_rest),)),) = response.topics
        return None if code == 0 else for_code(code)
    finally:
        await client.close()


async def partner_acls(settings: Settings, partner_id: str) -> set[tuple[Any, ...]]:
    """Every ACL the broker holds for the partner's principal (DescribeAcls, filter: that principal)."""
    any_type, any_pattern, any_op, any_permission = 1, 1, 1, 1
    admin = admin_client(settings, "test-describe-acls", request_timeout_ms=5000)
    await admin.start()
    try:
        response: Any = await admin._send_to_controller(DescribeAclsRequest(
            any_type, None, any_pattern, f"User:{partner_principal(partner_id)}", None, any_op, any_permission))
        assert response.error_code == 0, response
        return {(rtype, name, pattern, op, permission)
                for rtype, name, pattern, entries in response.resources for _p, _h, op, permission in entries}
    finally:
        await admin.close()


async def test_a_partner_reads_its_own_topic_with_a_group_under_its_prefix(settings: Settings,
                                                                            partners: Partners) -> None:
    assert await read_own_record(settings, partners.a) == [f"for {partners.a}".encode()]


async def test_a_partner_cannot_read_another_partners_topic(settings: Settings, partners: Partners) -> None:
    group = f"{partner_group_prefix(partners.a)}{uuid.uuid4().hex[:6]}"
    consumer = AIOKafkaConsumer(partner_topic(partners.b), group_id=group, **as_partner(settings, partners.a))
    try:
        with pytest.raises(TopicAuthorizationFailedError):  # subscribing: its metadata is refused
            await asyncio.wait_for(consumer.start(), BOUND)
    finally:
        await consumer.stop()
    assert await fetch_error(settings, partners.a, partner_topic(partners.b)) is TopicAuthorizationFailedError
    assert await fetch_error(settings, partners.a, partner_topic(partners.a)) is None


@pytest.mark.parametrize("foreign", ["other-partner", "projector", "no-prefix"])
async def test_a_group_outside_the_partners_prefix_is_refused(settings: Settings, partners: Partners,
                                                               foreign: str) -> None:
    group = {"other-partner": f"{partner_group_prefix(partners.b)}x", "projector": "gb-projector",
             "no-prefix": f"gb.partner.{partners.a}"}[foreign]  # the prefix without its closing dot
    consumer = AIOKafkaConsumer(partner_topic(partners.a), group_id=group, **as_partner(settings, partners.a))
    try:
        with pytest.raises(GroupAuthorizationFailedError):
            await asyncio.wait_for(consumer.start(), BOUND)
            await asyncio.wait_for(consumer.getmany(timeout_ms=3000), BOUND)
    finally:
        await consumer.stop()


async def test_a_partner_writes_nowhere_and_reads_no_internal_event_log(settings: Settings,
                                                                         partners: Partners) -> None:
    options = {k: v for k, v in as_partner(settings, partners.a).items()
               if k not in ("auto_offset_reset", "enable_auto_commit")}
    producer = AIOKafkaProducer(**options, acks="all")
    await asyncio.wait_for(producer.start(), BOUND)
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await asyncio.wait_for(producer.send_and_wait(partner_topic(partners.a), b"forged", key=b"x"), BOUND)
    finally:
        await producer.stop()
    for internal in (event_topic("membership"), event_topic("investment")):
        assert await fetch_error(settings, partners.a, internal) is TopicAuthorizationFailedError


async def test_the_broker_holds_exactly_the_partners_three_acls(settings: Settings, partners: Partners) -> None:
    topic, group, literal, prefixed, read, describe, allow = 2, 3, 3, 4, 3, 8, 3
    assert await partner_acls(settings, partners.a) == {
        (topic, partner_topic(partners.a), literal, read, allow),
        (topic, partner_topic(partners.a), literal, describe, allow),
        (group, partner_group_prefix(partners.a), prefixed, read, allow),
    }


async def test_provisioning_again_changes_nothing_and_the_partner_still_reads(settings: Settings,
                                                                              partners: Partners) -> None:
    before = await partner_acls(settings, partners.a)
    result = provision(settings, partners.a)
    assert result.returncode == 0, result.stderr
    assert await partner_acls(settings, partners.a) == before
    # The topic was not re-created (its record is still there) and the re-set password still opens it.
    assert await read_own_record(settings, partners.a) == [f"for {partners.a}".encode()]


@pytest.mark.parametrize("password", ["wrong", "other-secret"])
async def test_a_wrong_password_fails_authentication(settings: Settings, partners: Partners, password: str) -> None:
    value = "not-" + derived_password(partners.a) if password == "wrong" else derived_password(
        partners.a, random_secrets.token_urlsafe(32))
    consumer = AIOKafkaConsumer(group_id=None, **as_partner(settings, partners.a, value))
    try:
        with pytest.raises(KafkaError):
            await asyncio.wait_for(consumer.start(), BOUND)
    finally:
        await consumer.stop()


async def test_the_partners_principal_provisions_and_no_other_service_principal_can(settings: Settings) -> None:
    partner_id = f"pc-{uuid.uuid4().hex[:8]}"
    refused = provision(settings, partner_id, principal=acls.PARTNERS_ROUTER)
    assert refused.returncode == 1 and "provisioning failed" in refused.stderr, refused.stderr
    result = provision(settings, partner_id, principal=acls.PARTNERS)
    assert result.returncode == 0, result.stderr
    consumer = AIOKafkaConsumer(group_id=None, **as_partner(settings, partner_id))
    await asyncio.wait_for(consumer.start(), BOUND)
    try:
        tp = TopicPartition(partner_topic(partner_id), 0)
        assert await asyncio.wait_for(consumer.end_offsets([tp]), BOUND) == {tp: 0}
    finally:
        await consumer.stop()


async def test_only_the_partner_listener_gives_a_session_an_end(settings: Settings, partners: Partners,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker ends a SCRAM login (SaslAuthenticate v1) with the session's lifetime (KIP-368): on PARTNER, where the
    partner logs in, its listener.name.partner.connections.max.reauth.ms; on CLIENT, where the internal processes
    log in (the operator here), 0, for ever."""
    lifetimes: dict[int, int] = {}
    send = AIOKafkaConnection.send

    def recording(conn: AIOKafkaConnection, request: Any, expect_response: bool = True) -> Any:
        answer = send(conn, request, expect_response)
        if not isinstance(request, SaslAuthenticateRequest):
            return answer

        async def record() -> Any:
            response = await answer
            lifetimes[conn.port] = max(lifetimes.get(conn.port, 0), response.session_lifetime_ms)
            return response
        return record()
    monkeypatch.setattr(AIOKafkaConnection, "send", recording)
    partner = {k: v for k, v in as_partner(settings, partners.a).items()
               if k not in ("auto_offset_reset", "enable_auto_commit")}
    for options in (partner, {**connection_options(settings), "request_timeout_ms": 5000}):
        client = AIOKafkaClient(**options)
        await asyncio.wait_for(client.bootstrap(), BOUND)
        await client.close()
    nodes = range(1, settings.kafka_brokers + 1)
    partner_ports, client_ports = {settings.kafka_node_partner_port(n) for n in nodes}, {
        settings.kafka_node_port(n) for n in nodes}
    assert lifetimes.keys() & partner_ports and lifetimes.keys() & client_ports, lifetimes
    assert lifetimes == {port: settings.kafka_partner_reauth_ms if port in partner_ports else 0
                         for port in lifetimes.keys() & (partner_ports | client_ports)}, lifetimes


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
async def test_a_partners_password_logs_in_on_the_partner_listener_alone(settings: Settings, partners: Partners,
                                                                         mechanism: str) -> None:
    """On CLIENT, where sessions never end, a partner's password opens nothing whatever mechanism it tries: a
    connection made there before a rotation would have read on until it closed."""
    options = {**as_partner(settings, partners.a), "bootstrap_servers": settings.bootstrap_servers,
               "sasl_mechanism": mechanism}
    consumer = AIOKafkaConsumer(group_id=None, **options)
    try:
        with pytest.raises(KafkaError):
            await asyncio.wait_for(consumer.start(), BOUND)
    finally:
        await consumer.stop()


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
async def test_an_internal_principal_does_not_log_in_on_the_partner_listener(settings: Settings,
                                                                            mechanism: str) -> None:
    options = {**connection_options(settings), "bootstrap_servers": settings.partner_bootstrap_servers,
               "sasl_mechanism": mechanism, "request_timeout_ms": 5000}
    client = AIOKafkaClient(**options)
    try:
        with pytest.raises(KafkaError):
            await asyncio.wait_for(client.bootstrap(), BOUND)
    finally:
        await client.close()


async def test_provisioning_takes_away_a_credential_a_partner_had_for_the_internal_listener(
        settings: Settings, partners: Partners) -> None:
    """A partner provisioned before the partners had a mechanism of their own held a SCRAM-SHA-512 credential, which
    logs in on CLIENT; the next provisioning (every partner's, at each start of the provisioner) deletes it."""
    internal = {**as_partner(settings, partners.b), "bootstrap_servers": settings.bootstrap_servers,
                "sasl_mechanism": "SCRAM-SHA-512"}
    admin = admin_client(settings, "test-old-partner-credential", request_timeout_ms=5000)
    await admin.start()
    try:
        await upsert_scram_credential(admin, partner_principal(partners.b), derived_password(partners.b))
    finally:
        await admin.close()

    async def logs_in() -> bool:
        client = AIOKafkaClient(**{k: v for k, v in internal.items()
                                   if k not in ("auto_offset_reset", "enable_auto_commit")})
        try:
            await asyncio.wait_for(client.bootstrap(), BOUND)
            return True
        except KafkaError:
            return False
        finally:
            await client.close()

    async def refused() -> bool:
        return not await logs_in()

    # The broker applies a credential from the metadata log a moment after the controller answers the upsert or
    # the deletion, so each side is waited for, within the bound.
    await eventually(logs_in, BOUND, "the old credential opening CLIENT before provisioning takes it away", every=0.2)
    result = provision(settings, partners.b)
    assert result.returncode == 0, result.stderr
    await eventually(refused, BOUND, "the old credential refused on CLIENT after provisioning", every=0.2)
    assert await read_own_record(settings, partners.b) == [f"for {partners.b}".encode()]
