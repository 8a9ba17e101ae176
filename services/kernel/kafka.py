"""Kafka client settings in one place: authentication, the idempotent producer and raw-bytes consumers.

Every client authenticates with SASL/SCRAM-SHA-512 as the process's own principal (Settings
``kafka_username`` / ``kafka_password``); the broker refuses unauthenticated clients and authorises each
principal by its ACLs (infra/acls.py). A client built without credentials is refused here, naming the
variables, rather than hanging on a broker that will not answer it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.kernel.settings import Settings

SECURITY_PROTOCOL = "SASL_PLAINTEXT"
SASL_MECHANISM = "SCRAM-SHA-512"


class KafkaCredentialsMissing(RuntimeError):
    """The process has no Kafka principal of its own, so it may not open a Kafka client."""


def connection_options(settings: Settings) -> dict[str, Any]:
    """Bootstrap address and SASL/SCRAM credentials: what every aiokafka client of ours starts from."""
    if not settings.kafka_username or not settings.kafka_password:
        raise KafkaCredentialsMissing(
            "GB_KAFKA_USERNAME and GB_KAFKA_PASSWORD must name this process's Kafka principal; the broker "
            "refuses clients without credentials (in development, ./gb run or python -m infra.local infra-up "
            "generates them under <GB_DATA_DIR>/secrets)")
    return {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": SECURITY_PROTOCOL,
        "sasl_mechanism": SASL_MECHANISM,
        "sasl_plain_username": settings.kafka_username,
        "sasl_plain_password": settings.kafka_password,
    }


def admin_client(settings: Settings, client_id: str, **overrides: Any) -> AIOKafkaAdminClient:
    options = {**connection_options(settings), "client_id": client_id, **overrides}
    return AIOKafkaAdminClient(**options)


def event_producer(settings: Settings, client_id: str) -> AIOKafkaProducer:
    # aiokafka defaults to acks=1 without idempotence; an event log needs both.
    return AIOKafkaProducer(
        **connection_options(settings),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=1_048_576,
        request_timeout_ms=30_000,
        compression_type=None,
    )


def event_consumer(settings: Settings, client_id: str, **overrides: Any) -> AIOKafkaConsumer:
    """A consumer with no group: callers assign partitions and seek to their own checkpoints."""
    options: dict[str, Any] = {
        **connection_options(settings),
        "client_id": client_id,
        "group_id": None,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        "max_partition_fetch_bytes": 4 * 1_048_576,
        "fetch_max_bytes": 16 * 1_048_576,
    }
    options.update(overrides)
    return AIOKafkaConsumer(**options)


async def topic_partitions(consumer: AIOKafkaConsumer, topic: str, timeout: float = 10.0) -> list[TopicPartition]:
    """Partitions of ``topic``; a group-less consumer knows none until it asks the broker."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        ids = consumer.partitions_for_topic(topic)
        if ids:
            return [TopicPartition(topic, p) for p in sorted(ids)]
        if loop.time() > deadline:
            raise RuntimeError(f"topic {topic} does not exist; create topics first (python -m infra.topics)")
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.05)
