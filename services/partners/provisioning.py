"""Provisions one partner on Kafka: its topic, its principal's SCRAM credential and its ACLs.

``ensure_partner`` is idempotent — every step either creates what is missing or re-states what is
there — so the provisioner (services/partners/provisioner.py) runs it for every partner at each start
and for each new registration, and a run cut short is simply run again. It acts as the calling
process's own principal: ``partners`` in production (ALTER on the cluster, CREATE on ``gb.partner.``
topics: infra/acls.py), the operator in tests and by hand:

    python -m services.partners.provisioning host-ningbo [more partner ids]

What a partner gets is exactly ``partner_grants``: READ (and DESCRIBE) on its own topic, READ on the
consumer groups under its own prefix — no WRITE anywhere, no other topic, no other group. Its password
is derived (services/partners/secret.py), so nothing about it is stored here.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import for_code

from services.kernel.kafka import Grant, admin_client, create_acls, upsert_scram_credential
from services.kernel.settings import Settings, load_settings
from services.kernel.topics import TopicSpec, replicated
from services.partners import secret
from services.partners.contract.kafka import (
    check_partner_id,
    partner_group_prefix,
    partner_principal,
    partner_topic,
    partner_topic_spec,
)

log = logging.getLogger("partners.provisioning")

#: Kafka error codes handled here (org.apache.kafka.common.protocol.Errors).
UNKNOWN_TOPIC_OR_PARTITION = 3
TOPIC_ALREADY_EXISTS = 36
#: How long a topic just created may stay unknown to the broker's metadata.
TOPIC_VISIBLE_TIMEOUT = 30.0


def partner_grants(partner_id: str) -> tuple[Grant, ...]:
    """Everything a partner's principal may do: read its own topic, with its own consumer groups."""
    return (
        Grant("topic", partner_topic(partner_id), ("READ", "DESCRIBE")),
        Grant("group", partner_group_prefix(partner_id), ("READ",), "prefixed"),
    )


async def _ensure_topic(admin: AIOKafkaAdminClient, spec: TopicSpec) -> bool:
    """Create the topic unless it exists; True when this call created it. An existing topic must have
    the spec's partition count: one partner's order lives in one partition."""
    response: Any = await admin.create_topics(
        [NewTopic(spec.name, spec.partitions, spec.replication_factor, topic_configs=dict(spec.config))])
    created = False
    for topic, code, *rest in response.topic_errors:
        if code == 0:
            created = True
        elif code != TOPIC_ALREADY_EXISTS:
            message = rest[0] if rest and rest[0] else for_code(code).__name__
            raise RuntimeError(f"creating topic {topic} failed: {message} (error {code})")
    # Wait (bounded) until the metadata knows the topic, so the router can write to it at once.
    deadline = time.monotonic() + TOPIC_VISIBLE_TIMEOUT
    while True:
        (info,) = await admin.describe_topics([spec.name])
        code = info["error_code"]
        if code == 0:
            break
        if code != UNKNOWN_TOPIC_OR_PARTITION or time.monotonic() >= deadline:
            raise RuntimeError(f"topic {spec.name} cannot be described: {for_code(code).__name__} (error {code})")
        await asyncio.sleep(0.1)
    if len(info["partitions"]) != spec.partitions:
        raise RuntimeError(f"topic {spec.name} has {len(info['partitions'])} partitions, a partner topic has "
                           f"{spec.partitions}; delete it (its records are re-routed from the event logs) or fix it")
    return created


async def ensure_partner(settings: Settings, partner_id: str) -> None:
    """Give ``partner_id`` its topic, its ACLs and its SCRAM credential, as the settings' principal.

    The login comes last: by the time the partner can authenticate, what it may read exists."""
    check_partner_id(partner_id)
    principal = partner_principal(partner_id)
    password = secret.kafka_password(partner_id)  # refuses a missing or weak GB_PARTNERS_SECRET first
    admin = admin_client(settings, "gb-partners-provisioning", request_timeout_ms=30_000)
    await admin.start()
    try:
        # Replicated like the event logs on this cluster (three replicas, two in sync on ./gb run --cluster).
        created = await _ensure_topic(admin, replicated(partner_topic_spec(partner_id), settings.kafka_brokers))
        await create_acls(admin, {principal: partner_grants(partner_id)})
        await upsert_scram_credential(admin, principal, password)
    finally:
        await admin.close()
    log.info("partner %s provisioned: topic %s%s, principal %s", partner_id, partner_topic(partner_id),
             " (created)" if created else "", principal)


async def _main(partner_ids: list[str]) -> None:
    settings = load_settings()
    for partner_id in partner_ids:
        await ensure_partner(settings, partner_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.partners.provisioning",
                                     description="Provision partners on Kafka: topic, principal and ACLs.")
    parser.add_argument("partner_ids", nargs="+", metavar="PARTNER_ID")
    try:
        args = parser.parse_args(argv).partner_ids
    except SystemExit as exit_:  # argparse has printed its usage; answer with its status
        return int(exit_.code or 0)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s", stream=sys.stderr)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    try:
        asyncio.run(_main(args))
    except Exception as exc:  # one line naming what failed, not a traceback, for the operator
        log.error("provisioning failed: %s: %s", type(exc).__name__, exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
