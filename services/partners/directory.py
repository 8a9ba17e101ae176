"""The partners and subscriptions as the router and the webhook deliverer see them: folded from the
partners store, incrementally (positions appear in commit order, so reading on from the last one
misses nothing).

The times the router decides an event against — a partner's changes of scope or policy, its deactivations and
reactivations, a subscription's creation (services/partners/domain/routing.py) — are taken from when each change was
recorded in the store (``recorded_at``), not from its command's clock: a read begun after a quiet moment of the
store (``EventStore.quiet_moment``) then holds every change stamped before that moment, exactly, however long a
command took between its clock and its commit (``settled``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from services.kernel.store import EventStore, RecordedEvent
from services.partners.contract.events import (
    PARTNER_EVENTS,
    PartnerChanged,
    PartnerDeactivated,
    PartnerReactivated,
    ReplayRequested,
    SubscriptionCreated,
    SubscriptionPaused,
)
from services.partners.domain import partners, subscriptions
from services.partners.domain.routing import Directory

#: The changes whose time routing compares with an event's, and the field that holds it.
_ROUTING_TIMES: dict[type, str] = {PartnerChanged: "changed_at", PartnerDeactivated: "deactivated_at",
                                   PartnerReactivated: "reactivated_at", SubscriptionCreated: "created_at"}


def stamped_as_recorded(recorded: RecordedEvent[Any]) -> Any:
    """The event, its routing time (if it has one) replaced by when the store recorded it."""
    field = _ROUTING_TIMES.get(type(recorded.event))
    if field is None or recorded.envelope.recorded_at is None:
        return recorded.event
    return replace(recorded.event, **{field: recorded.envelope.recorded_at})


class DirectoryReader:
    def __init__(self, store: EventStore[Any]) -> None:
        self.store = store
        self.position = 0
        self.partners: dict[str, partners.Partner] = {}
        self.subscriptions: dict[str, subscriptions.Subscription] = {}
        #: The newest replay asked of each subscription, and where each paused one stopped.
        self.replays: dict[str, ReplayRequested] = {}
        self.pauses: dict[str, SubscriptionPaused] = {}
        self._directory = Directory.of({}, ())

    @property
    def directory(self) -> Directory:
        return self._directory

    async def refresh(self) -> bool:
        """Read what was recorded since the last call; True when anything changed."""
        changed = False
        while batch := await self.store.read_all(after_position=self.position, limit=1000):
            for recorded in batch:
                self._apply(stamped_as_recorded(recorded))
                self.position = recorded.envelope.position or self.position
            changed = True
        if changed:
            self._directory = Directory.of(self.partners, self.subscriptions.values())
        return changed

    async def settled(self) -> datetime:
        """``refresh`` after a quiet moment of the store, and that moment: the directory then holds every change
        recorded before it, and any change it lacks is stamped after it."""
        moment = await self.store.quiet_moment()
        await self.refresh()
        return moment

    def _apply(self, event: Any) -> None:
        if isinstance(event, PARTNER_EVENTS):
            self.partners[event.partner_id] = partners.evolve(self.partners.get(event.partner_id), event)  # type: ignore[assignment]
            return
        sid = event.subscription_id
        state = subscriptions.evolve(self.subscriptions.get(sid), event)
        if state is not None:
            self.subscriptions[sid] = state
        if isinstance(event, ReplayRequested):
            self.replays[sid] = event
        elif isinstance(event, SubscriptionPaused):
            self.pauses[sid] = event
