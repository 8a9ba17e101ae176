"""Commands on partners and subscriptions (the CloudEvents Subscriptions API's create, update, delete)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.partners.contract.events import PartnerScope
from services.partners.contract.values import DeliveryProtocol, PartnerKind, PersonalDataPolicy
from services.pure.identity import Actor


@dataclass(frozen=True, kw_only=True)
class RegisterPartner:
    """Register a partner system. ``partner_id`` names its Kafka topic and principal: lower-case letters,
    digits and hyphens, at most 40, chosen once (``host-ningbo``). ``contact``: the office or role to reach
    there (``劳动保障局就业科``); no phone or ID number, in it or in the name."""

    actor: Actor
    today: date
    partner_id: str
    name: str
    kind: PartnerKind
    contact: str
    scope: PartnerScope
    personal_data: PersonalDataPolicy = PersonalDataPolicy.MASKED


@dataclass(frozen=True, kw_only=True)
class ChangePartner:
    actor: Actor
    today: date
    partner_id: str
    name: str
    contact: str
    scope: PartnerScope
    personal_data: PersonalDataPolicy


@dataclass(frozen=True, kw_only=True)
class DeactivatePartner:
    """Off-board a partner: nothing more is routed to its topic or sent to its webhooks, and its Kafka login and
    ACLs are removed (its topic is kept). ``reason``: why, in the county's words (kept in clear in the event:
    no phone or ID number)."""

    actor: Actor
    today: date
    partner_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReactivatePartner:
    """Take a deactivated partner back: provisioned again, with a new Kafka password."""

    actor: Actor
    today: date
    partner_id: str


@dataclass(frozen=True, kw_only=True)
class RotatePartnerCredential:
    """Give an active partner a new Kafka password; the old one stops logging in."""

    actor: Actor
    today: date
    partner_id: str


PartnerCommand = RegisterPartner | ChangePartner | DeactivatePartner | ReactivatePartner | RotatePartnerCredential


@dataclass(frozen=True, kw_only=True)
class CreateSubscription:
    """Subscribe ``sink`` to outward events of ``types`` (all of them within the partner's scope when
    empty) that pass every one of ``filters``. ``sink``: the partner's topic for KAFKA, an http(s) URL
    for HTTP."""

    actor: Actor
    today: date
    subscription_id: str
    partner_id: str
    protocol: DeliveryProtocol
    sink: str = ""
    types: tuple[str, ...] = ()
    filters: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, kw_only=True)
class UpdateSubscription:
    actor: Actor
    today: date
    subscription_id: str
    sink: str = ""
    types: tuple[str, ...] = ()
    filters: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, kw_only=True)
class DeleteSubscription:
    actor: Actor
    today: date
    subscription_id: str


@dataclass(frozen=True, kw_only=True)
class ResumeSubscription:
    """Resume a paused subscription from the first event it did not deliver."""

    actor: Actor
    today: date
    subscription_id: str


@dataclass(frozen=True, kw_only=True)
class RequestReplay:
    """Deliver again from ``from_position`` (a partner-topic offset, as the CloudEvent's ``position``
    extension gives it) or from ``from_time``; exactly one of the two."""

    actor: Actor
    today: date
    subscription_id: str
    from_position: int | None = None
    from_time: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class PauseSubscription:
    """Sent by the webhook deliverer itself (no route): the sink kept failing."""

    actor: Actor
    today: date
    subscription_id: str
    reason: str
    failures: int
    next_position: int


SubscriptionCommand = (CreateSubscription | UpdateSubscription | DeleteSubscription | ResumeSubscription
                       | RequestReplay | PauseSubscription)
#: For isinstance: the commands a partner system may send (about its own subscriptions).
SUBSCRIPTION_COMMANDS = (CreateSubscription, UpdateSubscription, DeleteSubscription, ResumeSubscription,
                         RequestReplay, PauseSubscription)
