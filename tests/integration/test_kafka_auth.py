"""The broker that `./gb test` starts authenticates every client and authorises it by its ACLs.

Real broker, real principals (infra/acls.py), passwords from the test data folder's secrets. Every
refusal must come quickly as an error: a hang would fail the bounded wait, never pass.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError

from infra import acls, secrets
from services.kernel.kafka import connection_options, event_consumer, event_producer, topic_partitions
from services.kernel.settings import Settings
from services.kernel.topics import event_topic

#: A refusal must arrive well within this; the clients' own request timeouts are 5 s.
BOUND = 30.0


def as_principal(settings: Settings, principal: str) -> Settings:
    return dataclasses.replace(settings, kafka_username=principal,
                               kafka_password=secrets.kafka_password(settings, principal))


async def test_a_client_without_credentials_is_refused(settings: Settings) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, request_timeout_ms=5000,
                                metadata_max_age_ms=5000, connections_max_idle_ms=5000)
    try:
        with pytest.raises(KafkaError):
            await asyncio.wait_for(consumer.start(), BOUND)
    finally:
        await consumer.stop()


async def test_a_client_with_a_wrong_password_is_refused(settings: Settings) -> None:
    options = connection_options(as_principal(settings, acls.PROJECTOR))
    options["sasl_plain_password"] = "not-" + options["sasl_plain_password"]
    consumer = AIOKafkaConsumer(**options, request_timeout_ms=5000)
    try:
        with pytest.raises(KafkaError):
            await asyncio.wait_for(consumer.start(), BOUND)
    finally:
        await consumer.stop()


async def test_the_projector_reads_every_event_topic(settings: Settings) -> None:
    consumer = event_consumer(as_principal(settings, acls.PROJECTOR), f"test-auth-{uuid.uuid4().hex[:6]}")
    await asyncio.wait_for(consumer.start(), BOUND)
    try:
        for topic in [event_topic(s) for s in ("membership", "secondment", "investment")]:
            partitions = await topic_partitions(consumer, topic)
            ends = await asyncio.wait_for(consumer.end_offsets(partitions), BOUND)
            assert set(ends) == set(partitions)
    finally:
        await consumer.stop()


async def test_the_projector_cannot_write_to_a_service_topic(settings: Settings) -> None:
    # Not idempotent: the topic's own WRITE ACL is what refuses, not the producer-id request.
    producer = AIOKafkaProducer(**connection_options(as_principal(settings, acls.PROJECTOR)), acks="all",
                                request_timeout_ms=5000)
    await asyncio.wait_for(producer.start(), BOUND)
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await asyncio.wait_for(
                producer.send_and_wait(event_topic("membership"), b"forged", key=b"x"), BOUND)
    finally:
        await producer.stop()


async def test_a_relay_cannot_write_another_service_topic(settings: Settings) -> None:
    # The relay's own idempotent producer starts (WRITE on its own topic grants the producer id) …
    producer = event_producer(as_principal(settings, acls.relay_principal("membership")), "test-relay-auth")
    await asyncio.wait_for(producer.start(), BOUND)
    try:
        # … but secondment's event log is not its to write.
        with pytest.raises(TopicAuthorizationFailedError):
            await asyncio.wait_for(
                producer.send_and_wait(event_topic("secondment"), b"forged", key=b"x"), BOUND)
    finally:
        await producer.stop()


async def test_the_gateway_sees_offsets_but_reads_no_record(settings: Settings) -> None:
    consumer = event_consumer(as_principal(settings, acls.GATEWAY), f"test-auth-{uuid.uuid4().hex[:6]}",
                              request_timeout_ms=5000)
    await asyncio.wait_for(consumer.start(), BOUND)
    try:
        partitions = await topic_partitions(consumer, event_topic("membership"))
        await asyncio.wait_for(consumer.end_offsets(partitions), BOUND)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        with pytest.raises(TopicAuthorizationFailedError):
            await asyncio.wait_for(consumer.getmany(timeout_ms=3000), BOUND)
    finally:
        await consumer.stop()
