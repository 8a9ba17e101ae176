"""Create the Kafka topics declared in services/kernel/topics.py, idempotently.

Missing topics are created with their partitions, replication factor and config. Existing ones
are left alone, but their partition count must match the spec (a different count would move
stream ids between partitions): a mismatch fails loudly. Config drift is reported as a warning.

Runnable: ``python -m infra.topics`` (the docker-compose ``topics`` service) waits up to 90 s for
the broker at Settings.bootstrap_servers, then creates the ACLs of infra/acls.py and the topics, as
the operator (GB_KAFKA_USERNAME / GB_KAFKA_PASSWORD).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import for_code

from infra import acls
from infra.aio import run_sync
from services import system
from services.kernel.kafka import admin_client
from services.kernel.settings import Settings, load_settings
from services.kernel.topics import TopicSpec, event_log_topics

__all__ = ["TopicMismatchError", "all_topics", "create_topics", "ensure_topics", "main"]

log = logging.getLogger("infra")

#: Error code TOPIC_ALREADY_EXISTS: another creator won the race; the topic is checked below.
TOPIC_ALREADY_EXISTS = 36


class TopicMismatchError(RuntimeError):
    """An existing topic disagrees with its spec in a way that cannot be fixed in place."""


async def _describe(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, dict[str, Any]]:
    return {t["topic"]: t for t in await admin.describe_topics(names)}


async def _config_drift(admin: AIOKafkaAdminClient, specs: Sequence[TopicSpec]) -> list[str]:
    resources = [ConfigResource(ConfigResourceType.TOPIC, s.name, dict(s.config)) for s in specs if s.config]
    if not resources:
        return []
    wanted = {s.name: s.config for s in specs}
    drift: list[str] = []
    for response in await admin.describe_configs(resources):
        for resource in response.to_object()["resources"]:
            name = resource["resource_name"]
            actual = {e["config_names"]: e["config_value"] for e in resource["config_entries"]}
            for key, value in wanted.get(name, {}).items():
                if key in actual and actual[key] != value:
                    drift.append(f"{name}: {key}={actual[key]} (spec: {value})")
    return drift


#: A topic just created may be unknown to the broker's metadata for a moment (it answers this code).
UNKNOWN_TOPIC_OR_PARTITION = 3
#: A partition without a leader yet (its election is under way) reports this leader id.
NO_LEADER = -1


def not_yet_usable(described: dict[str, Any], names: Sequence[str]) -> list[str]:
    """The topics of ``names`` the cluster's metadata does not show ready for use: unknown to it yet, or with a
    partition that has no leader yet (a producer or consumer would fail on it)."""
    waiting = []
    for name in names:
        info = described.get(name) or {}
        code = info.get("error_code", UNKNOWN_TOPIC_OR_PARTITION)
        partitions = info.get("partitions") or []
        if code == UNKNOWN_TOPIC_OR_PARTITION or (code == 0 and (
                not partitions or any(p.get("leader", NO_LEADER) == NO_LEADER for p in partitions))):
            waiting.append(name)
    return waiting


async def _described_once_known(admin: AIOKafkaAdminClient, names: list[str], timeout: float) -> dict[str, Any]:
    """Describe the topics until the cluster's metadata shows every one of them with a leader for each partition,
    or the deadline passes: a topic just created (or a broker just started) is not known to the metadata at once,
    and a start that reads it too early once failed with "missing after creation (3)"."""
    deadline = time.monotonic() + timeout
    while True:
        described = await _describe(admin, names)
        waiting = not_yet_usable(described, names)
        if not waiting:
            return described
        if time.monotonic() >= deadline:
            log.warning("topics not in the cluster's metadata with a leader after %.0f s: %s", timeout,
                        ", ".join(waiting))
            return described
        await asyncio.sleep(0.2)


async def ensure_topics(
    settings: Settings, specs: Sequence[TopicSpec] | None = None, *, timeout_ms: int = 30000
) -> list[str]:
    """Create every missing topic of ``specs`` (default: all_topics()) as the settings' principal (the
    operator); return the created names."""
    specs = list(all_topics(settings.kafka_brokers) if specs is None else specs)
    admin = admin_client(settings, "gb-topics", request_timeout_ms=timeout_ms)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        created: list[str] = []
        if missing:
            response = await admin.create_topics(
                [NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=dict(s.config)) for s in missing],
                timeout_ms=timeout_ms,
            )
            for topic, code, *rest in response.topic_errors:
                if code == 0:
                    created.append(topic)
                elif code != TOPIC_ALREADY_EXISTS:
                    message = rest[0] if rest and rest[0] else for_code(code).__name__
                    raise RuntimeError(f"creating topic {topic} failed: {message} (error {code})")
        described = await _described_once_known(admin, [s.name for s in specs], timeout_ms / 1000)
        problems: list[str] = []
        for spec in specs:
            info = described.get(spec.name)
            if info is None or info["error_code"] != 0:
                problems.append(f"{spec.name}: not in the cluster's metadata {timeout_ms / 1000:.0f} s after its "
                                f"creation (error {info and info['error_code']})")
                continue
            partitions = len(info["partitions"])
            if partitions != spec.partitions:
                problems.append(
                    f"{spec.name}: has {partitions} partitions, spec says {spec.partitions} "
                    "(partition counts never change; recreate the topic or fix the spec)"
                )
            replicas = {len(p["replicas"]) for p in info["partitions"]}
            if replicas != {spec.replication_factor}:
                problems.append(
                    f"{spec.name}: replication factor {sorted(replicas)}, spec says {spec.replication_factor}"
                )
        if problems:
            raise TopicMismatchError(
                "existing topics disagree with services/kernel/topics.py:\n  " + "\n  ".join(problems)
            )
        for line in await _config_drift(admin, specs):
            log.warning("topic config differs from spec: %s", line)
        return created
    finally:
        await admin.close()



def all_topics(brokers: int = 1) -> list[TopicSpec]:
    """The event-log topic of every service the system runs, replicated for a cluster of ``brokers``."""
    return event_log_topics(system.names(), brokers)


def create_topics(settings: Settings | None = None, specs: Sequence[TopicSpec] | None = None) -> list[str]:
    settings = settings or load_settings()
    started = time.monotonic()
    specs = list(all_topics(settings.kafka_brokers) if specs is None else specs)
    created = run_sync(ensure_topics(settings, specs))
    log.info(
        "topics ready: %s%s (%.1f s)",
        ", ".join(f"{s.name}×{s.partitions}" for s in specs),
        f" (created {', '.join(created)})" if created else "",
        time.monotonic() - started,
    )
    return created


async def _main(timeout: float) -> None:
    settings = load_settings()
    deadline = time.monotonic() + timeout
    while True:
        try:
            await acls.ensure_acls(settings)
            await ensure_topics(settings)
            return
        except TopicMismatchError:
            raise
        except Exception as exc:  # the broker may still be starting
            if time.monotonic() >= deadline:
                raise
            log.info("waiting for Kafka at %s (%s)", settings.bootstrap_servers, exc.__class__.__name__)
            await asyncio.sleep(2)


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        asyncio.run(_main(timeout=90))
    except Exception as exc:
        log.error("topics: %s", exc)
        return 1
    log.info("topics ready: %s", ", ".join(s.name for s in all_topics()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
