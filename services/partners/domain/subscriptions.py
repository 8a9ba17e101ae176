"""The subscription aggregate: one stream per subscription, made by its partner or the county.

A subscription selects outward types within its partner's scope, passes every filter, and is
delivered to its partner's Kafka topic (KAFKA) or to a webhook (HTTP). Only the webhook deliverer
pauses one, and only an HTTP one is replayed by the system (a Kafka consumer seeks for itself). While its
partner is deactivated a subscription is neither created, changed, resumed nor replayed (409); it may be deleted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from services.partners.contract.commands import (
    CreateSubscription,
    DeleteSubscription,
    PauseSubscription,
    RequestReplay,
    ResumeSubscription,
    SubscriptionCommand,
    UpdateSubscription,
)
from services.partners.contract.events import (
    ReplayRequested,
    SubscriptionCreated,
    SubscriptionDeleted,
    SubscriptionEvent,
    SubscriptionPaused,
    SubscriptionResumed,
    SubscriptionUpdated,
)
from services.partners.contract.kafka import partner_topic
from services.partners.contract.values import (
    MAX_SUBSCRIPTIONS,
    REPLAY_WINDOW_HOURS,
    REPLAYS_PER_WINDOW,
    DeliveryProtocol,
    SubscriptionState,
)
from services.partners.domain import filters
from services.partners.domain.partners import Partner
from services.partners.domain.sinks import check_webhook_url
from services.pure.errors import DomainError, NotFound, StateConflict, TooManyRequests
from services.pure.identity import Role


@dataclass(frozen=True, kw_only=True)
class Subscription:
    subscription_id: str
    partner_id: str
    protocol: DeliveryProtocol
    sink: str
    types: tuple[str, ...]
    filters: tuple[dict[str, Any], ...]
    state: SubscriptionState
    created_at: datetime
    #: When the partner itself last asked for replays, the latest REPLAYS_PER_WINDOW at most (``replay_budget``).
    partner_replays: tuple[datetime, ...] = ()


INITIAL: Subscription | None = None


SLOT_PREFIX = "subscription-slot"


def slot_prefix(partner_id: str) -> str:
    return f"{SLOT_PREFIX}:{partner_id}:"


def free_slots(partner_id: str, held: frozenset[str]) -> list[str]:
    """The reservation keys a new subscription of ``partner_id`` may claim: the slots none of its live subscriptions
    holds (``held``: the keys they hold); it claims one, so the bound holds however many are created at once (two
    claiming one slot, the second is decided again against the slots then held). A partner holds at most
    MAX_SUBSCRIPTIONS: each is evaluated for every event in its scope, in the one router of every partner, and each
    HTTP one runs a delivery loop that POSTs to a sink the partner names — without a bound, one partner's thousands
    made the county's deliverer a source of traffic to any address."""
    free = [key for n in range(MAX_SUBSCRIPTIONS) if (key := f"{slot_prefix(partner_id)}{n}") not in held]
    if not free:
        raise StateConflict(f"partner {partner_id} holds {MAX_SUBSCRIPTIONS} subscriptions, the most one partner may; "
                            "delete one it no longer needs (DELETE /v1/subscriptions/{id}), or widen the types or "
                            "filters of one")
    return free


def replay_budget(asked: tuple[datetime, ...], now: datetime) -> None:
    """Refuse (429) a partner's replay when it asked for REPLAYS_PER_WINDOW of this subscription within the window.

    A replay sends the subscription's events again from a position or a time, as far back as the partner's topic
    goes: one partner asking for a replay from its first event again and again kept the deliverer — which serves
    every partner — re-reading and re-sending its whole history, and made the county a source of as much traffic
    to the partner's address as it liked. Recovering from an outage takes one or two replays; the county's
    administrators, who answer for the deliverer, are not counted."""
    window = timedelta(hours=REPLAY_WINDOW_HOURS)
    recent = sorted(t for t in asked if t > now - window)
    if len(recent) >= REPLAYS_PER_WINDOW:
        wait = max(1, math.ceil((recent[-REPLAYS_PER_WINDOW] + window - now).total_seconds()))
        raise TooManyRequests(
            f"this subscription was replayed {len(recent)} times at its partner's request in the last "
            f"{REPLAY_WINDOW_HOURS} hours, the most a partner may: ask again in {math.ceil(wait / 60)} min, or ask the "
            "county to replay it", retry_after_seconds=wait)


def decide(
    state: Subscription | None, cmd: SubscriptionCommand, *, partner: Partner | None, now: datetime,
    allow_private_sinks: bool, read_host: Callable[[str], str],
) -> list[SubscriptionEvent]:
    """``partner`` is the subscription's partner (the command's for a new one); ``allow_private_sinks``
    lets webhooks reach loopback and private addresses (development only); ``read_host`` reads a webhook URL's
    host as the deliverer will (services/partners/domain/sinks.py ``check_webhook_url``)."""
    if isinstance(cmd, CreateSubscription):
        if state is not None:
            raise StateConflict(f"subscription {cmd.subscription_id} exists")
        if partner is None:
            raise NotFound(f"no partner {cmd.partner_id}")
        _refuse_if_deactivated(partner, "created")
        types, sink = _selection(partner, cmd.protocol, cmd.types, cmd.filters, cmd.sink, allow_private_sinks,
                                 read_host)
        return [SubscriptionCreated(subscription_id=cmd.subscription_id, partner_id=partner.partner_id, types=types,
                                    filters=cmd.filters, sink=sink, protocol=cmd.protocol, created_at=now,
                                    actor=cmd.actor.label)]
    if state is None or state.state is SubscriptionState.DELETED:
        raise NotFound(f"no subscription {cmd.subscription_id}")
    assert partner is not None
    label, sid, pid = cmd.actor.label, state.subscription_id, state.partner_id
    match cmd:
        case UpdateSubscription():
            _refuse_if_deactivated(partner, "changed")
            types, sink = _selection(partner, state.protocol, cmd.types, cmd.filters, cmd.sink, allow_private_sinks,
                                     read_host)
            return [SubscriptionUpdated(subscription_id=sid, partner_id=pid, types=types, filters=cmd.filters,
                                        sink=sink, updated_at=now, actor=label)]
        case DeleteSubscription():
            return [SubscriptionDeleted(subscription_id=sid, partner_id=pid, deleted_at=now, actor=label)]
        case ResumeSubscription():
            _refuse_if_deactivated(partner, "resumed")
            if state.state is not SubscriptionState.PAUSED:
                raise StateConflict("the subscription is not paused")
            return [SubscriptionResumed(subscription_id=sid, partner_id=pid, resumed_at=now, actor=label)]
        case PauseSubscription():
            if state.state is not SubscriptionState.ACTIVE:
                raise StateConflict("the subscription is not active")
            return [SubscriptionPaused(subscription_id=sid, partner_id=pid, reason=cmd.reason[:500],
                                       failures=cmd.failures, next_position=cmd.next_position, paused_at=now,
                                       actor=label)]
        case RequestReplay():
            _refuse_if_deactivated(partner, "replayed")
            if state.protocol is not DeliveryProtocol.HTTP:
                raise StateConflict("a Kafka subscriber replays by seeking its own consumer; replay is for webhooks")
            if (cmd.from_position is None) == (cmd.from_time is None):
                raise DomainError("give exactly one of from_position and from_time")
            if cmd.from_position is not None and cmd.from_position < 0:
                raise DomainError("from_position: 0 or more")
            if cmd.actor.role is Role.PARTNER:
                replay_budget(state.partner_replays, now)
            return [ReplayRequested(subscription_id=sid, partner_id=pid, replay_id=f"{sid}:{now.isoformat()}",
                                    from_position=cmd.from_position, from_time=cmd.from_time, requested_at=now,
                                    actor=label)]
    raise AssertionError(cmd)


def evolve(state: Subscription | None, event: SubscriptionEvent) -> Subscription | None:
    if isinstance(event, SubscriptionCreated):
        return Subscription(subscription_id=event.subscription_id, partner_id=event.partner_id,
                            protocol=event.protocol, sink=event.sink, types=event.types, filters=event.filters,
                            state=SubscriptionState.ACTIVE, created_at=event.created_at)
    assert state is not None
    match event:
        case SubscriptionUpdated():
            return replace(state, types=event.types, filters=event.filters, sink=event.sink)
        case SubscriptionDeleted():
            return replace(state, state=SubscriptionState.DELETED)
        case SubscriptionPaused():
            return replace(state, state=SubscriptionState.PAUSED)
        case SubscriptionResumed():
            return replace(state, state=SubscriptionState.ACTIVE)
        case ReplayRequested() if event.actor.startswith(f"{Role.PARTNER.value}:"):
            return replace(state, partner_replays=(*state.partner_replays, event.requested_at)[-REPLAYS_PER_WINDOW:])
    return state


def _refuse_if_deactivated(partner: Partner, done: str) -> None:
    # Deleting stays open (to the county and the partner alike) and so does the deliverer's pause: neither
    # sends anything to the partner.
    if not partner.active:
        raise StateConflict(f"partner {partner.partner_id} is deactivated: its subscriptions cannot be {done} "
                            "until the county reactivates it")


def _selection(
    partner: Partner, protocol: DeliveryProtocol, types: tuple[str, ...], chosen: tuple[dict[str, Any], ...],
    sink: str, allow_private: bool, read_host: Callable[[str], str],
) -> tuple[tuple[str, ...], str]:
    """The types a subscription selects (within the partner's scope) and its sink, or a 422 saying why not."""
    outside = sorted(set(types) - set(partner.scope.event_types))
    if outside:
        raise DomainError(f"types outside the partner's scope: {', '.join(outside[:5])}")
    if len(set(types)) < len(types):
        # So the list is never longer than the catalogue: the router reads it for every event.
        raise DomainError("types: name each outward type once")
    filters.check(chosen)
    if protocol is DeliveryProtocol.KAFKA:
        topic = partner_topic(partner.partner_id)
        if sink not in ("", topic):
            raise DomainError(f"sink: a Kafka subscription delivers to the partner's own topic {topic}")
        return types, topic
    return types, check_webhook_url(sink, read_host=read_host, allow_private=allow_private)

