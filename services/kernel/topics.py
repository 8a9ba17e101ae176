"""Kafka topic definitions: the single source for names, partitions and configs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

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


def event_log_topics(services: Iterable[str], brokers: int = 1) -> list[TopicSpec]:
    """The event-log topic of each of ``services``, replicated for a cluster of ``brokers``."""
    return [replicated(TopicSpec(event_topic(s), EVENT_LOG_PARTITIONS, 1, dict(EVENT_LOG_CONFIG)), brokers)
            for s in services]


def replicated(spec: TopicSpec, brokers: int) -> TopicSpec:
    """``spec`` as created on a cluster of ``brokers``: a replica on each broker up to three, and with three,
    two in sync for an acknowledged write (acks=all), so a write survives the loss of any one broker and the
    cluster takes writes with one broker down."""
    factor = min(3, max(1, brokers))
    in_sync = 2 if factor >= 3 else 1
    return replace(spec, replication_factor=factor, config={**spec.config, "min.insync.replicas": str(in_sync)})
