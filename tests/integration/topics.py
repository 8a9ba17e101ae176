"""A Kafka topic of its own for one integration test, on the real broker of ``./gb test``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka.admin import NewTopic

from services.kernel.kafka import admin_client
from services.kernel.settings import Settings


@asynccontextmanager
async def scratch_topic(settings: Settings, kind: str, partitions: int) -> AsyncIterator[str]:
    """``gb.test.<kind>.<random>`` with ``partitions`` partitions, deleted afterwards."""
    name = f"gb.test.{kind}.{uuid.uuid4().hex[:10]}"
    admin = admin_client(settings, f"gb-test-{kind}")
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, settings.kafka_replication_factor)])
        yield name
        await admin.delete_topics([name])
    finally:
        await admin.close()
