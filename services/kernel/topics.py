"""Kafka topic definitions: the single source for names, partitions and configs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Why 6: two cores today, but a topic's partition count can never grow (stream id -> partition
#: would move), so leave room for six consumers of one group. Order holds per stream id (the key).
EVENT_LOG_PARTITIONS = 6

#: Event logs are the system's history: never deleted, never compacted.
EVENT_LOG_CONFIG: dict[str, str] = {
    "cleanup.policy": "delete",
    "retention.ms": "-1",
    "retention.bytes": "-1",
    "min.insync.replicas": "1",
}


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str]


def event_topic(service: str) -> str:
    """The event-log topic a service's relay publishes to."""
    return f"gb.{service}.events"


def event_log_topics(services: Iterable[str]) -> list[TopicSpec]:
    """The event-log topic of each of ``services``."""
    return [TopicSpec(event_topic(s), EVENT_LOG_PARTITIONS, 1, dict(EVENT_LOG_CONFIG)) for s in services]
