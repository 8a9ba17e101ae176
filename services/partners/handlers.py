"""Partners' command handlers: load, fold, decide, append — and what a partner's registration sets off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from services.kernel.handling import execute, state_of
from services.kernel.settings import load_settings
from services.kernel.store import AppendResult, CommandMeta, EventStore
from services.partners.contract.commands import (
    ChangePartner,
    CreateSubscription,
    RegisterPartner,
    SubscriptionCommand,
)
from services.partners.domain import partners, subscriptions
from services.partners.sink_address import private_allowed

Store = EventStore[Any]

_evolve_partner = cast(Callable[[Any, Any], Any], partners.evolve)
_evolve_subscription = cast(Callable[[Any, Any], Any], subscriptions.evolve)


def partner_stream(partner_id: str) -> str:
    # The record's id is its stream's id (the API's Location); a partner id never has a UUID's shape
    # (domain/partners.py), so it never meets a subscription's.
    return partner_id


def subscription_stream(subscription_id: str) -> str:
    return subscription_id


def private_sinks_allowed() -> bool:
    return private_allowed(load_settings())


async def partner_of(store: Store, partner_id: str) -> partners.Partner | None:
    return cast(partners.Partner | None, state_of(await store.load(partner_stream(partner_id)), _evolve_partner, None))


async def subscription_of(store: Store, subscription_id: str) -> subscriptions.Subscription | None:
    stream = await store.load(subscription_stream(subscription_id))
    return cast(subscriptions.Subscription | None, state_of(stream, _evolve_subscription, None))


async def partner_command(store: Store, cmd: RegisterPartner | ChangePartner, meta: CommandMeta) -> AppendResult:
    now = datetime.now(UTC)
    return await execute(store, stream_id=partner_stream(cmd.partner_id), stream_type="partner",
                         evolve=_evolve_partner, initial=partners.INITIAL,
                         decide=lambda state: partners.decide(state, cmd, now=now), meta=meta)


async def subscription_command(store: Store, cmd: SubscriptionCommand, meta: CommandMeta) -> AppendResult:
    now = datetime.now(UTC)

    async def decide(state: subscriptions.Subscription | None) -> list[Any]:
        partner_id = cmd.partner_id if isinstance(cmd, CreateSubscription) else state.partner_id if state else None
        partner = await partner_of(store, partner_id) if partner_id else None
        return subscriptions.decide(state, cmd, partner=partner, now=now,
                                    allow_private_sinks=private_sinks_allowed())

    return await execute(store, stream_id=subscription_stream(cmd.subscription_id), stream_type="subscription",
                         evolve=_evolve_subscription, initial=subscriptions.INITIAL, decide=decide, meta=meta)
