"""Events of investment leads (招商引资, domain.md B8, D1, D2): registration, pipeline, funds, landing, reward.

One stream per lead (``lead-<lead id>``). Money is Decimal yuan, a string on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from services.kernel.events import EventRegistry
from services.pure.dates import RecordedLate
from services.pure.policy_data import PolicyChangePublished


class RegistrantKind(StrEnum):
    """Who registered the lead (A: every outstation branch and member acts as the county's information officer)."""

    BRANCH = "branch"
    MEMBER = "member"
    CADRE = "cadre"


class LeadKind(StrEnum):
    """What the lead brings (issue 5: capital, project, technology, talent, sales channel)."""

    CAPITAL = "capital"
    PROJECT = "project"
    TECHNOLOGY = "technology"
    TALENT = "talent"
    SALES_CHANNEL = "sales_channel"


class LeadStage(StrEnum):
    """The pipeline, in order; ``dropped`` ends a lead at any stage before ``landed``.

    ``duplicate`` is the state of a registration that matched an earlier lead (first referral wins).
    """

    REGISTERED = "registered"
    CONTACTED = "contacted"
    VISIT = "visit"
    NEGOTIATING = "negotiating"
    SIGNED = "signed"
    FUNDS_ARRIVING = "funds_arriving"
    LANDED = "landed"
    DROPPED = "dropped"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, kw_only=True)
class LeadRegistered(RecordedLate):
    """The first registration of an investor + project: its registrant is the first referrer (第一引荐人)."""

    lead_id: str
    match_key: str
    registrant_kind: RegistrantKind
    registrant_id: str
    #: The branch and township the lead is credited to in the performance reports.
    branch_id: str
    township_id: str
    investor: str
    project: str
    sector: str
    kind: LeadKind
    promised_amount: Decimal
    origin_locality: str
    homecoming: bool
    registered_on: date
    actor: str
    #: Added after v1 went out (optional, so older events still decode): who to credit, by name.
    registrant_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class LeadDuplicateRecorded(RecordedLate):
    """A later registration of the same investor + project: kept for the record, credited to the earlier lead."""

    lead_id: str
    match_key: str
    earlier_lead_id: str
    registrant_kind: RegistrantKind
    registrant_id: str
    branch_id: str
    township_id: str
    investor: str
    project: str
    registered_on: date
    actor: str


@dataclass(frozen=True, kw_only=True)
class LeadAdvanced(RecordedLate):
    lead_id: str
    from_stage: LeadStage
    to_stage: LeadStage
    advanced_on: date
    note: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class FundsArrived(RecordedLate):
    """One instalment of funds arrived; the first one moves a signed lead to ``funds_arriving``."""

    lead_id: str
    instalment: int
    amount: Decimal
    arrived_on: date
    reference: str
    total_arrived: Decimal
    #: The registrant, so that cross-service policies (a cadre's contribution) need no lookup.
    registrant_kind: RegistrantKind
    registrant_id: str
    actor: str
    #: The lead's township: a cadre's secondment is credited only by a lead of the cadre's own township, since any
    #: township committee or branch secretary may name a cadre as a lead's registrant. None on events recorded
    #: before it was carried (2026-12-02).
    township_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class LeadLanded(RecordedLate):
    """The project was confirmed completed: the actual fixed investment is the base of any reward."""

    lead_id: str
    completed_on: date
    actual_fixed_investment: Decimal
    total_arrived: Decimal
    claim_until: date
    registrant_kind: RegistrantKind
    registrant_id: str
    branch_id: str
    township_id: str
    actor: str
    approving_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class LeadDropped(RecordedLate):
    lead_id: str
    match_key: str
    from_stage: LeadStage
    dropped_on: date
    reason: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class RewardLine:
    """One tier of a marginal reward: ``portion`` of the base lies in [from_amount, to_amount) at ``rate_per_mille``."""

    tier: int
    from_amount: Decimal
    to_amount: Decimal | None
    rate_per_mille: Decimal
    portion: Decimal
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class RewardClaimed(RecordedLate):
    """The first referrer's reward, with the computation: base × per-mille rate, tier by tier (marginal)."""

    lead_id: str
    claimant_kind: RegistrantKind
    claimant_id: str
    claimed_on: date
    completed_on: date
    claim_until: date
    base: Decimal
    lines: tuple[RewardLine, ...]
    #: Sum of the lines rounded half up to the policy's quantum (a fen by default).
    amount: Decimal
    actor: str
    policy_version: str


EVENTS: dict[str, type] = {
    "gb.investment.lead_registered.v1": LeadRegistered,
    "gb.investment.lead_duplicate_recorded.v1": LeadDuplicateRecorded,
    "gb.investment.lead_advanced.v1": LeadAdvanced,
    "gb.investment.funds_arrived.v1": FundsArrived,
    "gb.investment.lead_landed.v1": LeadLanded,
    "gb.investment.lead_dropped.v1": LeadDropped,
    "gb.investment.reward_claimed.v1": RewardClaimed,
}

REGISTRY: EventRegistry[Any] = EventRegistry(
    source="/golden-bridge/investment",
    events={**EVENTS, "gb.investment.policy_published.v1": PolicyChangePublished},
)

LeadEvent = (
    LeadRegistered | LeadDuplicateRecorded | LeadAdvanced | FundsArrived | LeadLanded | LeadDropped | RewardClaimed
)
