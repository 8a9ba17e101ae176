"""Which partners receive an internal event, and as what: the router's whole decision, pure.

An internal event becomes at most one outward event (contract/outward). Each partner whose scope
holds its type and reaches one of its places (an organisation it names, or an ancestor of one: a
township reaches everything under it), and which has a live subscription that selects it, gets one
CloudEvent — masked by the partner's policy — tagged with the ids of the subscriptions that chose it.

Like a subscription's creation time, a partner's deactivations and its terms — its scope and personal-data policy —
are compared with the event's own time, not with the moment the router reads it: an event recorded while the partner
was deactivated is never routed to it, one recorded before is, and an event is scoped and masked by the terms in
force when it was recorded, however late the router comes to it (after an outage, or again after a crash) — the same
event, the same decision, the same bytes under the same id. Both sides are compared by when their store recorded
them (``recorded_at``, the database's clock, stamped under each store's append lock), and the router reads the
directory after a quiet moment of the partners store later than the batch's events, so every change recorded before
an event is in it (services/partners/directory.py, router.py ``CLOCK_WAIT_SECONDS``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.partners.contract.outward import SCHEMA_PATH, OutwardType, data_of
from services.partners.contract.outward.catalogue import outward
from services.partners.contract.values import SubscriptionState
from services.partners.domain import filters
from services.partners.domain.partners import Partner, inactive_at, terms_at
from services.partners.domain.subscriptions import Subscription

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


@dataclass
class OrgTree:
    """Each organisation's parent, learnt from the organisation events as they are read."""

    parents: dict[str, str | None] = field(default_factory=dict)

    def knows(self, org_id: str) -> bool:
        return org_id in self.parents

    def add(self, org_id: str, parent_id: str | None) -> None:
        self.parents[org_id] = parent_id

    def with_ancestors(self, orgs: Iterable[str]) -> frozenset[str]:
        seen: set[str] = set()
        for org in orgs:
            current: str | None = org
            while current is not None and current not in seen:
                seen.add(current)
                current = self.parents.get(current)
        return frozenset(seen)


@dataclass(frozen=True)
class Directory:
    """The partners and their live subscriptions (deleted ones are gone; paused ones still collect)."""

    partners: Mapping[str, Partner]
    subscriptions: Mapping[str, tuple[Subscription, ...]]

    @classmethod
    def of(cls, partners: Mapping[str, Partner], subscriptions: Iterable[Subscription]) -> Directory:
        by_partner: dict[str, list[Subscription]] = {}
        for s in subscriptions:
            if s.state is not SubscriptionState.DELETED and s.partner_id in partners:
                by_partner.setdefault(s.partner_id, []).append(s)
        return cls(partners=dict(partners), subscriptions={p: tuple(s) for p, s in by_partner.items()})


@dataclass(frozen=True)
class Delivery:
    partner_id: str
    subscription_ids: tuple[str, ...]
    subject: str
    cloudevent: dict[str, Any]


@dataclass(frozen=True)
class Outward:
    """An internal event as partners may see it, before any partner's policy."""

    kind: OutwardType[Any, Any]
    event: Any
    places: tuple[str, ...]


def to_outward(event: Any) -> Outward | None:
    found = outward(event)
    if found is None:
        return None
    kind, out = found
    return Outward(kind=kind, event=out, places=tuple(kind.places(out)))


def route(
    item: Outward, *, event_id: str, source: str, time: datetime, directory: Directory, tree: OrgTree,
    public_base_url: str, recorded: datetime | None = None,
) -> list[Delivery]:
    """The event's deliveries: to each active partner whose scope reaches it, by the subscriptions that choose it.
    ``time`` is when it happened (the CloudEvent's ``time``); ``recorded``, when its store recorded it (default:
    ``time``), is what the partner's deactivations and the subscriptions' creation times are compared with."""
    at = time if recorded is None else recorded
    kind, subject = item.kind, item.kind.subject(item.event)
    places = tree.with_ancestors(item.places)
    dataschema = public_base_url.rstrip("/") + SCHEMA_PATH.format(type=kind.type)
    attributes = {"id": event_id, "source": source, "type": kind.type, "subject": subject, "dataschema": dataschema}
    deliveries = []
    for partner_id, partner in sorted(directory.partners.items()):
        scope, personal_data = terms_at(partner, at)
        if kind.type not in scope.event_types or inactive_at(partner, at):
            continue
        reach = set(scope.organisations) | set(scope.townships)
        if reach and not reach & places:
            continue
        chosen = tuple(
            s.subscription_id for s in directory.subscriptions.get(partner_id, ())
            if s.created_at <= at and (not s.types or kind.type in s.types) and filters.matches(s.filters, attributes)
        )
        if not chosen:
            continue
        cloudevent = {
            "specversion": "1.0", **attributes, "time": time.isoformat(), "datacontenttype": "application/json",
            "partner": partner_id, "data": data_of(item.event, personal_data),
        }
        deliveries.append(Delivery(partner_id=partner_id, subscription_ids=chosen, subject=subject,
                                   cloudevent=cloudevent))
    return deliveries


def learn_tree(tree: OrgTree, item: Outward) -> None:
    """The organisation events teach the tree (their outward form names the parent)."""
    if item.kind.type == "goldenbridge.organisation.established.v1":
        tree.add(item.event.organisation_id, item.event.parent_id)
