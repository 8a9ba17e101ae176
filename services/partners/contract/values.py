"""The value types partners and subscriptions are made of (the CloudEvents Subscriptions API's words)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PartnerKind(StrEnum):
    """Who the partner is (domain.md: the county's partner systems)."""

    HOST_COMMITTEE = "host_committee"
    LABOUR_BUREAU = "labour_bureau"
    CREDIT_COOPERATIVE = "credit_cooperative"
    LEGAL_AID = "legal_aid"
    INSURANCE = "insurance"
    PROVINCE = "province"
    OTHER = "other"


class PersonalDataPolicy(StrEnum):
    """What a partner receives of the personal fields an outward event marks.

    ``none``: every personal field is null. ``masked``: names show their first character only;
    ID numbers and phones are the masked forms the events carry (never a value in clear).
    """

    NONE = "none"
    MASKED = "masked"


class DeliveryProtocol(StrEnum):
    """The CloudEvents Subscriptions API's protocol names that this system delivers over."""

    KAFKA = "KAFKA"
    HTTP = "HTTP"


class SubscriptionState(StrEnum):
    ACTIVE = "active"
    #: Stopped by the webhook deliverer after repeated failures (the reason is recorded); resumes from
    #: the first event not yet delivered.
    PAUSED = "paused"
    DELETED = "deleted"


#: The CloudEvents Subscriptions API's filter dialects this system evaluates (a filter is one
#: ``{dialect: …}`` object; a subscription's filters must all match).
#: Subscriptions one partner holds at once (services/partners/domain/subscriptions.py ``free_slot`` says why).
MAX_SUBSCRIPTIONS = 20
#: Replays a partner may ask of one webhook subscription within REPLAY_WINDOW_HOURS (the county's are not counted):
#: services/partners/domain/subscriptions.py ``replay_budget`` says why.
REPLAYS_PER_WINDOW = 6
REPLAY_WINDOW_HOURS = 24

FILTER_DIALECTS = ("exact", "prefix", "suffix", "all", "any", "not")
#: The attributes exact, prefix and suffix may name.
FILTER_ATTRIBUTES = ("type", "source", "subject", "id", "dataschema")


@dataclass(frozen=True, kw_only=True)
class PartnerFeed:
    """What one partner may receive: the outward types of its scope, under its personal-data policy
    (the per-partner AsyncAPI document is made from this)."""

    partner_id: str
    name: str
    types: tuple[str, ...]
    personal_data: PersonalDataPolicy
