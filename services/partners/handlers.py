"""Partners' command handlers: load, fold, decide, append — and what a partner's registration sets off."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from services.kernel.handling import execute, state_of
from services.kernel.reservations import NONE, Reservations
from services.kernel.settings import load_settings
from services.kernel.store import AppendResult, CommandMeta, EventStore
from services.partners.contract.commands import (
    CreateSubscription,
    DeleteSubscription,
    PartnerCommand,
    SubscriptionCommand,
)
from services.partners.domain import partners, subscriptions
from services.partners.sink_address import private_allowed, url_host

Store = EventStore[Any]


# Partners and subscriptions share one stream-id namespace, and every id in a URL is the caller's to choose:
# ``/v1/subscriptions/<a partner's id>`` loads a partner's stream. The kernel reads a stream of the other kind as
# no record (``state_of(kind=…)``: not found, like an id nobody used) and appends nothing to it; a partner id is
# never UUID-shaped either (domain/partners.py), and a subscription's id is a fresh UUID the API draws.
_evolve_partner = cast(Callable[[Any, Any], Any], partners.evolve)
_evolve_subscription = cast(Callable[[Any, Any], Any], subscriptions.evolve)


def partner_stream(partner_id: str) -> str:
    # The record's id is its stream's id (the API's Location); see _own_kind for the namespace it shares.
    return partner_id


def subscription_stream(subscription_id: str) -> str:
    return subscription_id


def private_sinks_allowed() -> bool:
    return private_allowed(load_settings())


async def partner_of(store: Store, partner_id: str) -> partners.Partner | None:
    stream = await store.load(partner_stream(partner_id))
    return cast(partners.Partner | None, state_of(stream, _evolve_partner, None, kind="partner"))


async def subscription_of(store: Store, subscription_id: str) -> subscriptions.Subscription | None:
    stream = await store.load(subscription_stream(subscription_id))
    return cast(subscriptions.Subscription | None, state_of(stream, _evolve_subscription, None, kind="subscription"))


async def partner_command(store: Store, cmd: PartnerCommand, meta: CommandMeta) -> AppendResult:
    now = datetime.now(UTC)
    return await execute(store, stream_id=partner_stream(cmd.partner_id), stream_type="partner",
                         evolve=_evolve_partner, initial=partners.INITIAL,
                         decide=lambda state: partners.decide(state, cmd, now=now), meta=meta)


async def _held_slots(store: Store, partner_id: str) -> frozenset[str]:
    """The subscription slots (domain/subscriptions.py ``free_slot``) the partner's live subscriptions hold."""
    prefix = subscriptions.slot_prefix(partner_id)
    rows = await store.pool.fetch("SELECT key FROM reservations WHERE starts_with(key, $1)", prefix)
    return frozenset(r["key"] for r in rows)


async def _own_slots(store: Store, subscription_id: str) -> tuple[str, ...]:
    rows = await store.pool.fetch("SELECT key FROM reservations WHERE holder = $1 AND starts_with(key, $2)",
                                  subscription_stream(subscription_id), subscriptions.SLOT_PREFIX + ":")
    return tuple(r["key"] for r in rows)


async def subscription_command(store: Store, cmd: SubscriptionCommand, meta: CommandMeta) -> AppendResult:
    now = datetime.now(UTC)
    #: What the append claims or releases, read by ``decide`` (again at each attempt) for ``reserve``.
    slots: dict[str, tuple[str, ...]] = {"claim": (), "release": ()}

    async def decide(state: subscriptions.Subscription | None) -> list[Any]:
        partner_id = cmd.partner_id if isinstance(cmd, CreateSubscription) else state.partner_id if state else None
        partner = await partner_of(store, partner_id) if partner_id else None
        events = subscriptions.decide(state, cmd, partner=partner, now=now,
                                      allow_private_sinks=private_sinks_allowed(), read_host=url_host)
        if events and isinstance(cmd, CreateSubscription):
            # Any free slot, not the first: subscriptions asked for at once then seldom claim the same one.
            free = subscriptions.free_slots(cmd.partner_id, await _held_slots(store, cmd.partner_id))
            slots["claim"] = (random.choice(free),)
        elif events and isinstance(cmd, DeleteSubscription):
            slots["release"] = await _own_slots(store, cmd.subscription_id)
        return events

    def reserve(_state: Any, events: Any) -> Reservations:
        return Reservations(claim=slots["claim"], release=slots["release"]) if events else NONE

    return await execute(store, stream_id=subscription_stream(cmd.subscription_id), stream_type="subscription",
                         evolve=_evolve_subscription, initial=subscriptions.INITIAL, decide=decide, meta=meta,
                         reserve=reserve)
