"""Partners read model: partner systems (``partners_view``) and their subscriptions (``subscriptions_view``),
each row written by its own record's events."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from services.kernel.events import Envelope, encode
from services.kernel.projection import Op, update
from services.partners.contract.events import (
    PartnerChanged,
    PartnerCredentialRotated,
    PartnerDeactivated,
    PartnerReactivated,
    PartnerRegistered,
    ReplayRequested,
    SubscriptionCreated,
    SubscriptionDeleted,
    SubscriptionPaused,
    SubscriptionResumed,
    SubscriptionUpdated,
)

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.partners_view (
    partner_id text PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL,
    contact text NOT NULL,
    scope jsonb NOT NULL,
    personal_data text NOT NULL,
    registered_at timestamptz NOT NULL,
    changed_at timestamptz,
    -- active or deactivated (deactivation and reactivation by the county); why, when deactivated.
    state text NOT NULL DEFAULT 'active',
    deactivation_reason text,
    deactivated_at timestamptz,
    -- Which Kafka password is the partner's (its rotations and reactivations); the password itself is never here.
    credential_generation int NOT NULL DEFAULT 0,
    position bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.subscriptions_view (
    subscription_id text PRIMARY KEY,
    partner_id text NOT NULL,
    protocol text NOT NULL,
    sink text NOT NULL,
    types jsonb NOT NULL,
    filters jsonb NOT NULL,
    state text NOT NULL,
    pause_reason text,
    paused_at timestamptz,
    last_replay jsonb,
    created_at timestamptz NOT NULL,
    updated_at timestamptz,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_view_partner ON {schema}.subscriptions_view (partner_id, subscription_id);
"""

EVENTS: tuple[type, ...] = (
    PartnerRegistered, PartnerChanged, PartnerDeactivated, PartnerReactivated, PartnerCredentialRotated,
    SubscriptionCreated, SubscriptionUpdated, SubscriptionDeleted,
    SubscriptionPaused, SubscriptionResumed, ReplayRequested,
)


def _json(value: Any) -> str:
    return encode(value).decode()


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case PartnerRegistered():
            return [(
                f"INSERT INTO {q}.partners_view (partner_id, name, kind, contact, scope, personal_data, registered_at,"
                " position) VALUES ($1,$2,$3,$4,$5::jsonb,$6,$7,$8)",
                (event.partner_id, event.name, event.kind.value, event.contact, _json(event.scope),
                 event.personal_data.value, event.registered_at, pos),
            )]
        case PartnerChanged():
            return [update(q, "partners_view", "partner_id", event.partner_id, pos, name=event.name,
                           contact=event.contact, scope=_json(event.scope), personal_data=event.personal_data.value,
                           changed_at=event.changed_at)]
        case PartnerDeactivated():
            return [update(q, "partners_view", "partner_id", event.partner_id, pos, state="deactivated",
                           deactivation_reason=event.reason, deactivated_at=event.deactivated_at,
                           changed_at=event.deactivated_at)]
        case PartnerReactivated():
            return [update(q, "partners_view", "partner_id", event.partner_id, pos, state="active",
                           deactivation_reason=None, deactivated_at=None,
                           credential_generation=event.credential_generation, changed_at=event.reactivated_at)]
        case PartnerCredentialRotated():
            return [update(q, "partners_view", "partner_id", event.partner_id, pos,
                           credential_generation=event.credential_generation, changed_at=event.rotated_at)]
        case SubscriptionCreated():
            return [(
                f"INSERT INTO {q}.subscriptions_view (subscription_id, partner_id, protocol, sink, types, filters,"
                " state, created_at, position) VALUES ($1,$2,$3,$4,$5::jsonb,$6::jsonb,'active',$7,$8)",
                (event.subscription_id, event.partner_id, event.protocol.value, event.sink, _json(event.types),
                 _json(event.filters), event.created_at, pos),
            )]
        case SubscriptionUpdated():
            return [update(q, "subscriptions_view", "subscription_id", event.subscription_id, pos, sink=event.sink,
                           types=_json(event.types), filters=_json(event.filters), updated_at=event.updated_at)]
        case SubscriptionDeleted():
            return [update(q, "subscriptions_view", "subscription_id", event.subscription_id, pos, state="deleted",
                           updated_at=event.deleted_at)]
        case SubscriptionPaused():
            return [update(q, "subscriptions_view", "subscription_id", event.subscription_id, pos, state="paused",
                           pause_reason=f"{event.failures} failed attempts in a row; last: {event.reason}",
                           paused_at=event.paused_at)]
        case SubscriptionResumed():
            return [update(q, "subscriptions_view", "subscription_id", event.subscription_id, pos, state="active",
                           updated_at=event.resumed_at)]
        case ReplayRequested():
            replay = {"from_position": event.from_position,
                      "from_time": event.from_time.isoformat() if event.from_time else None,
                      "requested_at": event.requested_at.isoformat()}
            return [update(q, "subscriptions_view", "subscription_id", event.subscription_id, pos,
                           last_replay=_json(replay))]
    return []


def _plain(row: asyncpg.Record) -> dict[str, Any]:
    out = dict(row)
    for key in ("scope", "types", "filters", "last_replay"):
        if isinstance(out.get(key), str):
            out[key] = orjson.loads(out[key])
    out.pop("position", None)
    return out


async def partners(pool: asyncpg.Pool, *, partner_id: str | None, after: str | None,
                   limit: int) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT * FROM partners_view WHERE ($1::text IS NULL OR partner_id = $1) AND ($2::text IS NULL OR"
        " partner_id > $2) ORDER BY partner_id LIMIT $3", partner_id, after, limit)
    return [_plain(r) for r in rows]


async def partner(pool: asyncpg.Pool, partner_id: str) -> dict[str, Any] | None:
    row = await pool.fetchrow("SELECT * FROM partners_view WHERE partner_id = $1", partner_id)
    return _plain(row) if row else None


async def subscriptions(pool: asyncpg.Pool, *, partner_id: str | None, after: str | None,
                        limit: int) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT * FROM subscriptions_view WHERE state <> 'deleted' AND ($1::text IS NULL OR partner_id = $1)"
        " AND ($2::text IS NULL OR subscription_id > $2) ORDER BY subscription_id LIMIT $3", partner_id, after, limit)
    return [_plain(r) for r in rows]


async def subscription(pool: asyncpg.Pool, subscription_id: str) -> dict[str, Any] | None:
    row = await pool.fetchrow("SELECT * FROM subscriptions_view WHERE subscription_id = $1 AND state <> 'deleted'",
                              subscription_id)
    return _plain(row) if row else None
