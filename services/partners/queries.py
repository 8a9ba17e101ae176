"""The partner reads only the partners service can answer, forwarded by the gateway with the caller:

    GET /partners/{id}/kafka-credentials    the partner's Kafka login (derived, never stored)
    GET /subscriptions/{id}/secret          the webhook signing secret (derived, never stored)
    GET /subscriptions/{id}/deliveries      the webhook delivery log (attempts, status, latency)
    GET /partners-health                    each partner's Kafka lag and webhook backlog

The county reaches every partner; a partner system only its own (403 otherwise, whether or not the
record exists). An id of the other kind of record (a partner's id where a subscription's is asked, or the
reverse) is a record that does not exist (services/partners/handlers.py).
"""

from __future__ import annotations

from typing import Any

import asyncpg
from aiokafka.structs import TopicPartition
from fastapi import APIRouter, Query, Request

from services.kernel.command_api import ActorDep, StoreDep
from services.kernel.kafka import admin_client, event_consumer
from services.kernel.settings import Settings, load_settings
from services.partners import delivery_log, secret
from services.partners.contract.kafka import (
    PARTNER_SASL_MECHANISM,
    partner_group_prefix,
    partner_principal,
    partner_topic,
)
from services.partners.contract.values import DeliveryProtocol, SubscriptionState
from services.partners.directory import DirectoryReader
from services.partners.handlers import partner_of, subscription_of
from services.pure.errors import Forbidden, NotFound, StateConflict, Unavailable
from services.pure.identity import Actor, Role

router = APIRouter()


async def install(pool: asyncpg.Pool) -> None:
    await delivery_log.install(pool)


def _require_partner(actor: Actor, partner_id: str) -> None:
    if actor.role is Role.COUNTY_ADMIN:
        return
    if actor.role is not Role.PARTNER or actor.org_id != partner_id:
        raise Forbidden(f"{actor.label} reaches only its own partner record")


@router.get("/partners/{partner_id}/kafka-credentials")
async def kafka_credentials(partner_id: str, actor: ActorDep, store: StoreDep) -> dict[str, Any]:
    _require_partner(actor, partner_id)
    partner = await partner_of(store, partner_id)
    if partner is None:
        raise NotFound(f"no partner {partner_id}")
    if not partner.active:
        raise StateConflict(f"partner {partner_id} is deactivated: it has no Kafka login until the county "
                            "reactivates it (with a new password)")
    settings = load_settings()
    # The PARTNER listener, whose sessions end (docs/infrastructure.md): on the internal one a connection made
    # with a rotated or revoked password would read on until it closed.
    bootstrap = settings.partner_bootstrap_servers
    if not bootstrap:
        raise Unavailable("the partners' Kafka listener is not configured (GB_KAFKA_PARTNER_BOOTSTRAP)")
    generation = partner.credential_generation
    return {
        "partner_id": partner_id, "bootstrap_servers": bootstrap,
        "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": PARTNER_SASL_MECHANISM,
        "username": partner_principal(partner_id), "password": secret.kafka_password(partner_id, generation=generation),
        "credential_generation": generation,
        "topic": partner_topic(partner_id), "group_prefix": partner_group_prefix(partner_id),
    }


async def _own_subscription(store: Any, actor: Actor, subscription_id: str) -> Any:
    found = await subscription_of(store, subscription_id)
    if found is None or found.state is SubscriptionState.DELETED:
        if actor.role is Role.COUNTY_ADMIN:
            raise NotFound(f"no subscription {subscription_id}")
        raise Forbidden(f"{actor.label} reaches only its own subscriptions")
    _require_partner(actor, found.partner_id)
    return found


@router.get("/subscriptions/{subscription_id}/secret")
async def webhook_secret(subscription_id: str, actor: ActorDep, store: StoreDep) -> dict[str, Any]:
    found = await _own_subscription(store, actor, subscription_id)
    if found.protocol is not DeliveryProtocol.HTTP:
        raise NotFound("a Kafka subscription has no webhook secret")
    return {"subscription_id": subscription_id, "secret": secret.webhook_secret(subscription_id),
            "scheme": "Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature: v1,<HMAC-SHA256>)"}


@router.get("/subscriptions/{subscription_id}/deliveries")
async def deliveries(subscription_id: str, actor: ActorDep, store: StoreDep,
                     after: int = Query(0, ge=0, le=2**62), limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
    await _own_subscription(store, actor, subscription_id)
    items = await delivery_log.attempts(store.pool, subscription_id, after=after, limit=limit)
    return {"items": [delivery_log.as_json(a) for a in items],
            "next_after": items[-1].id if items else after}


@router.get("/partners-health")
async def partners_health(request: Request, actor: ActorDep, store: StoreDep) -> dict[str, Any]:
    if actor.role is not Role.COUNTY_ADMIN:
        raise Forbidden("only the county reads every partner's lag")
    return await health(store.pool, load_settings(), await _directory(store))


async def _directory(store: Any) -> tuple[dict[str, bool], list[Any]]:
    reader = DirectoryReader(store)
    await reader.refresh()
    live = [s for s in reader.subscriptions.values() if s.state is not SubscriptionState.DELETED]
    return {pid: p.active for pid, p in sorted(reader.partners.items())}, live


async def health(pool: asyncpg.Pool, settings: Settings,
                 directory: tuple[dict[str, bool], list[Any]]) -> dict[str, Any]:
    """Per partner: whether it is active, its topic's end, each of its consumer groups' lag, each webhook's backlog
    and state (a deactivated partner's backlog is held: nothing is sent until it is reactivated)."""
    active, subs = directory
    partner_ids = list(active)
    consumer = event_consumer(settings, "gb-partners-health")
    admin = admin_client(settings, "gb-partners-health")
    try:
        await consumer.start()
        await admin.start()
        # Only topics that exist: asking the end of one that does not (a partner not provisioned yet) waits for the
        # whole request timeout; such a partner's end is 0.
        topics = await consumer.topics()
        ends = await consumer.end_offsets([TopicPartition(partner_topic(p), 0) for p in partner_ids
                                           if partner_topic(p) in topics])
        groups = [g[0] if isinstance(g, tuple) else g.group_id for g in await admin.list_consumer_groups()]
        cursors = await delivery_log.cursors(pool)
        out: dict[str, Any] = {}
        for p in partner_ids:
            end = ends.get(TopicPartition(partner_topic(p), 0), 0)
            lag = {}
            for group in (g for g in groups if g.startswith(partner_group_prefix(p))):
                offsets = await admin.list_consumer_group_offsets(group)
                committed = max((o.offset for o in offsets.values()), default=0)
                lag[group] = max(end - committed, 0)
            hooks = {s.subscription_id: {"state": s.state.value,
                                         "backlog": max(end - cursors.get(s.subscription_id, end), 0)}
                     for s in subs if s.partner_id == p and s.protocol is DeliveryProtocol.HTTP}
            out[p] = {"active": active[p], "topic_end": end, "kafka_lag": lag, "webhooks": hooks}
        return {"partners": out}
    except Exception as exc:
        raise Unavailable(f"Kafka did not answer the lag query: {type(exc).__name__}") from None
    finally:
        await consumer.stop()
        await admin.close()
