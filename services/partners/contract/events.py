"""Events of partners and their subscriptions: every registration and change is one of these.

One stream per partner and one per subscription, each named by the record's id (the partner's id, the
subscription's UUID) in one stream-id namespace: a reader folding a stream by an id from a URL checks that it
holds its own kind of events (services/partners/handlers.py). No secret is ever in an event: Kafka passwords
and webhook secrets are derived (docs/partners.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.kernel.events import EventRegistry
from services.partners.contract.values import DeliveryProtocol, PartnerKind, PersonalDataPolicy


@dataclass(frozen=True, kw_only=True)
class PartnerScope:
    """What a partner may receive: outward ``event_types``, about ``organisations`` (and everything
    under them) or ``townships``; both empty: the whole county."""

    event_types: tuple[str, ...]
    organisations: tuple[str, ...] = ()
    townships: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PartnerRegistered:
    partner_id: str
    name: str
    kind: PartnerKind
    contact: str
    scope: PartnerScope
    personal_data: PersonalDataPolicy
    registered_at: datetime
    actor: str


@dataclass(frozen=True, kw_only=True)
class PartnerChanged:
    """The county changed a partner's name, contact, scope or policy: events recorded from the change on are routed
    by the new scope and policy, those recorded before by the ones they were recorded under."""

    partner_id: str
    name: str
    contact: str
    scope: PartnerScope
    personal_data: PersonalDataPolicy
    changed_at: datetime
    actor: str


@dataclass(frozen=True, kw_only=True)
class PartnerDeactivated:
    """The county off-boarded the partner (its agreement ended, or its login leaked): nothing more is routed to
    its topic or sent to its webhooks, and its Kafka principal loses its ACLs and its SCRAM credential. Its
    topic is kept."""

    partner_id: str
    reason: str
    deactivated_at: datetime
    actor: str


@dataclass(frozen=True, kw_only=True)
class PartnerReactivated:
    """The county took the partner back: provisioned again, with the Kafka password of
    ``credential_generation`` (a new one: the generation went up)."""

    partner_id: str
    credential_generation: int
    reactivated_at: datetime
    actor: str


@dataclass(frozen=True, kw_only=True)
class PartnerCredentialRotated:
    """The partner's Kafka password is now the one of ``credential_generation``; the one before no longer
    logs in once the provisioner has set it."""

    partner_id: str
    credential_generation: int
    rotated_at: datetime
    actor: str


@dataclass(frozen=True, kw_only=True)
class SubscriptionCreated:
    """A CloudEvents subscription: ``types`` and ``filters`` select, ``sink`` receives over ``protocol``.

    It covers events recorded from ``created_at`` on (replay reaches further back on request)."""

    subscription_id: str
    partner_id: str
    types: tuple[str, ...]
    filters: tuple[dict[str, Any], ...]
    sink: str
    protocol: DeliveryProtocol
    created_at: datetime
    actor: str


@dataclass(frozen=True, kw_only=True)
class SubscriptionUpdated:
    subscription_id: str
    partner_id: str
    types: tuple[str, ...]
    filters: tuple[dict[str, Any], ...]
    sink: str
    updated_at: datetime
    actor: str


@dataclass(frozen=True, kw_only=True)
class SubscriptionDeleted:
    subscription_id: str
    partner_id: str
    deleted_at: datetime
    actor: str


@dataclass(frozen=True, kw_only=True)
class SubscriptionPaused:
    """The webhook deliverer stopped after ``failures`` failed attempts in a row; ``reason`` says the last."""

    subscription_id: str
    partner_id: str
    reason: str
    failures: int
    #: The partner-topic offset of the first event not delivered: delivery resumes there.
    next_position: int
    paused_at: datetime
    actor: str


@dataclass(frozen=True, kw_only=True)
class SubscriptionResumed:
    subscription_id: str
    partner_id: str
    resumed_at: datetime
    actor: str


@dataclass(frozen=True, kw_only=True)
class ReplayRequested:
    """Deliver again from a partner-topic position or from a time (the first event at or after it)."""

    subscription_id: str
    partner_id: str
    replay_id: str
    from_position: int | None
    from_time: datetime | None
    requested_at: datetime
    actor: str


PartnerEvent = PartnerRegistered | PartnerChanged | PartnerDeactivated | PartnerReactivated | PartnerCredentialRotated
#: For isinstance: a partner's stream holds only these (a subscription's only SubscriptionEvent).
PARTNER_EVENTS = (PartnerRegistered, PartnerChanged, PartnerDeactivated, PartnerReactivated, PartnerCredentialRotated)
SubscriptionEvent = (SubscriptionCreated | SubscriptionUpdated | SubscriptionDeleted | SubscriptionPaused
                     | SubscriptionResumed | ReplayRequested)
SUBSCRIPTION_EVENTS = (SubscriptionCreated, SubscriptionUpdated, SubscriptionDeleted, SubscriptionPaused,
                       SubscriptionResumed, ReplayRequested)

EVENTS: dict[str, type] = {
    "gb.partners.partner_registered.v1": PartnerRegistered,
    "gb.partners.partner_changed.v1": PartnerChanged,
    "gb.partners.partner_deactivated.v1": PartnerDeactivated,
    "gb.partners.partner_reactivated.v1": PartnerReactivated,
    "gb.partners.partner_credential_rotated.v1": PartnerCredentialRotated,
    "gb.partners.subscription_created.v1": SubscriptionCreated,
    "gb.partners.subscription_updated.v1": SubscriptionUpdated,
    "gb.partners.subscription_deleted.v1": SubscriptionDeleted,
    "gb.partners.subscription_paused.v1": SubscriptionPaused,
    "gb.partners.subscription_resumed.v1": SubscriptionResumed,
    "gb.partners.replay_requested.v1": ReplayRequested,
}
REGISTRY: EventRegistry[Any] = EventRegistry(source="/golden-bridge/partners", events=EVENTS)
