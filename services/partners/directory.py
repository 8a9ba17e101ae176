"""The partners and subscriptions as the router and the webhook deliverer see them: folded from the
partners store, incrementally (positions appear in commit order, so reading on from the last one
misses nothing)."""

from __future__ import annotations

from typing import Any

from services.kernel.store import EventStore
from services.partners.contract.events import PARTNER_EVENTS, ReplayRequested, SubscriptionPaused
from services.partners.domain import partners, subscriptions
from services.partners.domain.routing import Directory


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
                self._apply(recorded.event)
                self.position = recorded.envelope.position or self.position
            changed = True
        if changed:
            self._directory = Directory.of(self.partners, self.subscriptions.values())
        return changed

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
