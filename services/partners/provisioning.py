"""Provisions one partner on Kafka: its topic, its principal's SCRAM credential and its ACLs — or takes them away.

``ensure_partner`` is idempotent — every step either creates what is missing or re-states what is
there — so the provisioner (services/partners/provisioner.py) runs it for every partner at each start
and for each new registration, rotation and reactivation, and a run cut short is simply run again.
``revoke_partner`` (a deactivated partner) is idempotent the same way. Both act as the calling
process's own principal: ``partners`` in production (ALTER on the cluster, CREATE on ``gb.partner.``
topics: infra/acls.py), the operator in tests and by hand:

    python -m services.partners.provisioning host-ningbo [more partner ids] (--generation N | --revoke)

What a partner gets is exactly ``partner_grants``: READ (and DESCRIBE) on its own topic, READ on the
consumer groups under its own prefix — no WRITE anywhere, no other topic, no other group. Its password
is derived from its credential generation (services/partners/secret.py), so nothing about it is stored here.
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
from aiokafka.protocol.admin import DeleteAclsRequest

from services.kernel.kafka import (
    SASL_MECHANISM,
    Grant,
    admin_client,
    create_acls,
    delete_scram_credential,
    upsert_scram_credential,
)
from services.kernel.settings import Settings, load_settings
from services.kernel.topics import TopicSpec, replicated
from services.partners import secret
from services.partners.contract.kafka import (
    PARTNER_SASL_MECHANISM,
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


async def ensure_partner(settings: Settings, partner_id: str, generation: int = 0) -> None:
    """Give ``partner_id`` its topic, its ACLs and the SCRAM credential of its credential ``generation``, as the
    settings' principal. Setting the credential replaces the one before: an earlier password no longer logs in.

    The login comes last: by the time the partner can authenticate, what it may read exists."""
    check_partner_id(partner_id)
    principal = partner_principal(partner_id)
    # Refuses a missing or weak GB_PARTNERS_SECRET first.
    password = secret.kafka_password(partner_id, generation=generation)
    admin = admin_client(settings, "gb-partners-provisioning", request_timeout_ms=30_000)
    await admin.start()
    try:
        # Replicated like the event logs on this cluster (three replicas, two in sync on ./gb run --cluster).
        created = await _ensure_topic(admin, replicated(partner_topic_spec(partner_id), settings.kafka_brokers))
        await create_acls(admin, {principal: partner_grants(partner_id)})
        await upsert_scram_credential(admin, principal, password, mechanism=PARTNER_SASL_MECHANISM)
        # A partner provisioned before the partners' own mechanism had its credential for the internal one, which
        # the internal listener (no session end) would take: gone.
        await delete_scram_credential(admin, principal, mechanism=SASL_MECHANISM)
    finally:
        await admin.close()
    log.info("partner %s provisioned: topic %s%s, principal %s (credential generation %d)", partner_id,
             partner_topic(partner_id), " (created)" if created else "", principal, generation)


async def revoke_partner(settings: Settings, partner_id: str) -> None:
    """Take a deactivated partner's Kafka access away: every ACL of its principal, then its SCRAM credential.

    The ACLs go first because they bind every connection at its next request — one that logged in before
    too, which a deleted credential alone would not stop until it re-authenticates. Its topic and its
    groups' committed offsets are kept (history; a reactivated partner reads on). Idempotent: what is
    already gone is what was asked."""
    check_partner_id(partner_id)
    principal = partner_principal(partner_id)
    admin = admin_client(settings, "gb-partners-provisioning", request_timeout_ms=30_000)
    await admin.start()
    try:
        removed = await _delete_acls_of(admin, principal)
        had_login = False
        for mechanism in (PARTNER_SASL_MECHANISM, SASL_MECHANISM):  # the latter: a partner provisioned before
            had_login = await delete_scram_credential(admin, principal, mechanism=mechanism) or had_login
    finally:
        await admin.close()
    log.info("partner %s revoked: %d ACLs of %s removed, its SCRAM credential %s", partner_id, removed, principal,
             "deleted" if had_login else "already gone")


#: DeleteAcls filter values (org.apache.kafka.common.resource.ResourceType / PatternType, acl.AclOperation /
#: AclPermissionType): ANY matches every value.
_ANY = 1


async def _delete_acls_of(admin: AIOKafkaAdminClient, principal: str) -> int:
    """Delete every ACL naming ``User:<principal>`` — whatever resource, pattern, host or operation, so that grants
    an earlier version of ``partner_grants`` made are gone too; the number deleted. aiokafka 0.14 has the request
    (DeleteAcls) but no admin method for it."""
    response: Any = await admin._send_to_controller(
        DeleteAclsRequest(_ANY, None, _ANY, f"User:{principal}", None, _ANY, _ANY))
    deleted = 0
    for code, message, matching in response.filter_responses:
        if code != 0:
            raise RuntimeError(f"deleting the ACLs of {principal} failed: {message or for_code(code).__name__}")
        for acl_code, acl_message, *_acl in matching:
            if acl_code != 0:
                raise RuntimeError(f"deleting an ACL of {principal} failed: "
                                   f"{acl_message or for_code(acl_code).__name__}")
            deleted += 1
    return deleted


async def _main(partner_ids: list[str], generation: int | None, revoke: bool) -> None:
    settings = load_settings()
    for partner_id in partner_ids:
        if revoke:
            await revoke_partner(settings, partner_id)
        elif generation is not None:  # main() asks for it
            await ensure_partner(settings, partner_id, generation)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.partners.provisioning",
                                     description="Provision partners on Kafka: topic, principal and ACLs.")
    parser.add_argument("partner_ids", nargs="+", metavar="PARTNER_ID")
    parser.add_argument("--generation", type=int,
                        help="required unless --revoke: the partners' credential generation (GET /v1/partners/{id}: "
                             "credential_generation; 0 for a partner whose password was never rotated). Never "
                             "guessed: an earlier generation would let an earlier, perhaps leaked, password in again")
    parser.add_argument("--revoke", action="store_true",
                        help="take the partners' ACLs and SCRAM credentials away (a deactivated partner)")
    try:
        args = parser.parse_args(argv)
        if args.generation is None and not args.revoke:
            parser.error("--generation N is required (GET /v1/partners/{id} shows credential_generation)")
    except SystemExit as exit_:  # argparse has printed its usage; answer with its status
        return int(exit_.code or 0)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s", stream=sys.stderr)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    try:
        asyncio.run(_main(args.partner_ids, args.generation, args.revoke))
    except Exception as exc:  # one line naming what failed, not a traceback, for the operator
        log.error("provisioning failed: %s: %s", type(exc).__name__, exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
