"""Commands on investment leads (D2: RegisterLead, AdvanceLead, RecordFundsArrived, ClaimReward; landing, drop)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar

from services.investment.contract.events import LeadKind, LeadStage, RegistrantKind
from services.pure.identity import Actor


@dataclass(frozen=True, kw_only=True)
class RegisterLead:
    """Register a lead. The first registration of an investor + project wins; a later one is a duplicate.

    ``registrant_name`` and ``investor_party_id`` (the investor's own member or cadre id, if any) let
    the rule refuse self-referral; a branch registers under its own id (``registrant_id == branch_id``).
    """

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("registered_on",)
    lead_id: str
    registrant_kind: RegistrantKind
    registrant_id: str
    registrant_name: str
    branch_id: str
    township_id: str
    investor: str
    project: str
    sector: str
    kind: LeadKind
    promised_amount: Decimal
    origin_locality: str
    registered_on: date
    homecoming: bool = False
    investor_party_id: str | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class AdvanceLead:
    """Move a lead forward to contacted, visit, negotiating or signed (forward skips allowed)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("advanced_on",)
    lead_id: str
    to_stage: LeadStage
    advanced_on: date
    note: str = ""
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordFundsArrived:
    """Record one instalment of funds that arrived on a signed lead; ``reference`` is the voucher, unique per lead."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("arrived_on",)
    lead_id: str
    amount: Decimal
    arrived_on: date
    reference: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConfirmLanded:
    """The township committee or county confirms the project completed, with its actual fixed investment."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("completed_on",)
    lead_id: str
    completed_on: date
    actual_fixed_investment: Decimal
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class DropLead:
    """End a lead before it lands, with a reason."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("dropped_on",)
    lead_id: str
    dropped_on: date
    reason: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ClaimReward:
    """The first referrer claims the referral reward of a landed lead, within the claim window."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("claimed_on",)
    lead_id: str
    claimant_id: str
    claimed_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


LeadCommand = RegisterLead | AdvanceLead | RecordFundsArrived | ConfirmLanded | DropLead | ClaimReward
