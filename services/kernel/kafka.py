"""Kafka client settings in one place: the idempotent producer and raw-bytes consumers."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.kernel.settings import Settings


def event_producer(settings: Settings, client_id: str) -> AIOKafkaProducer:
    # aiokafka defaults to acks=1 without idempotence; an event log needs both.
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
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
        "bootstrap_servers": settings.bootstrap_servers,
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
