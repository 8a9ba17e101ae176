"""A partner system reading its Golden Bridge feed from Kafka, with the CloudEvents SDK.

    GB_URL=http://127.0.0.1:8000 GB_TOKEN=<partner token> python -m examples.partner_kafka_consumer

It asks the gateway for its Kafka login (GET /v1/partners/{id}/kafka-credentials), joins a consumer
group under its own prefix, and prints each CloudEvent. Delivery is at-least-once: the same event may
come twice after a restart of either side, always with the same ``id``, so a partner keeps the ids it
has handled (here: a set; in production: a unique key in its own database) and skips repeats.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from cloudevents.v1.http import CloudEvent
from cloudevents.v1.kafka import KafkaMessage, from_structured


def to_cloudevent(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], key: bytes | None,
                  value: bytes) -> CloudEvent:
    """One partner-topic record as a CloudEvent (structured mode: the whole event is the value)."""
    return from_structured(KafkaMessage(headers=dict(headers), key=key, value=value))


async def credentials(gateway: str, token: str, partner_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=gateway, headers={"Authorization": f"Bearer {token}"}) as client:
        answer = await client.get(f"/v1/partners/{partner_id}/kafka-credentials")
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found


async def events(login: dict[str, Any], group_suffix: str = "example") -> AsyncIterator[CloudEvent]:
    """Every CloudEvent of the partner's topic, once per id, from the group's committed offset."""
    consumer = AIOKafkaConsumer(
        login["topic"], bootstrap_servers=login["bootstrap_servers"], security_protocol=login["security_protocol"],
        sasl_mechanism=login["sasl_mechanism"], sasl_plain_username=login["username"],
        sasl_plain_password=login["password"], group_id=login["group_prefix"] + group_suffix,
        auto_offset_reset="earliest", enable_auto_commit=False)
    seen: set[str] = set()
    await consumer.start()
    try:
        async for record in consumer:
            event = to_cloudevent(record.headers, record.key, record.value)
            if event["id"] not in seen:
                seen.add(event["id"])
                yield event
            # Commit after handling: a crash before this line means the event comes again (same id).
            await consumer.commit()
    finally:
        await consumer.stop()


async def main() -> None:
    gateway, token = os.environ.get("GB_URL", "http://127.0.0.1:8000"), os.environ["GB_TOKEN"]
    partner_id = os.environ["GB_PARTNER_ID"]
    async for event in events(await credentials(gateway, token, partner_id)):
        print(event["type"], event["subject"], event["id"], event.get_data())


if __name__ == "__main__":
    asyncio.run(main())
