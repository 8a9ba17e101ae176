"""Unit tests of the investment domain; the builders below reach each stage of a lead by real commands."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from services.investment.contract.commands import (
    AdvanceLead,
    ClaimReward,
    ConfirmLanded,
    LeadCommand,
    RecordFundsArrived,
    RegisterLead,
)
from services.investment.contract.events import LeadEvent, LeadKind, LeadStage, RegistrantKind
from services.investment.domain import leads
from services.investment.domain.leads import Lead
from services.kernel.handling import fold
from services.pure.identity import Actor, Role

TODAY = date(2030, 12, 31)
LEAD = "lead-1"
MEMBER_ID = "m-1"
MEMBER = Actor(subject=MEMBER_ID, role=Role.MEMBER)
SECRETARY = Actor(subject="sec", role=Role.BRANCH_SECRETARY, org_id="b-1")
TOWNSHIP = Actor(subject="tc", role=Role.TOWNSHIP_COMMITTEE, org_id="township-a")
COUNTY = Actor(subject="od", role=Role.COUNTY_ADMIN)
REGISTERED_ON = date(2025, 1, 10)
SIGNED_ON = date(2025, 3, 1)
COMPLETED_ON = date(2026, 2, 27)


def register(**o: Any) -> RegisterLead:
    return replace(RegisterLead(
        actor=MEMBER, today=TODAY, lead_id=LEAD, registrant_kind=RegistrantKind.MEMBER, registrant_id=MEMBER_ID,
        registrant_name="Li Wei", branch_id="b-1", township_id="township-a", investor="Shenzhen Acme Co., Ltd.",
        project="Tea processing plant", sector="agriculture", kind=LeadKind.CAPITAL,
        promised_amount=Decimal("30000000.00"), origin_locality="Shenzhen", registered_on=REGISTERED_ON,
        homecoming=True), **o)


def advance(to: LeadStage, on: date, **o: Any) -> AdvanceLead:
    return replace(AdvanceLead(actor=MEMBER, today=TODAY, lead_id=LEAD, to_stage=to, advanced_on=on), **o)


def funds(amount: str, on: date, reference: str, **o: Any) -> RecordFundsArrived:
    return replace(RecordFundsArrived(actor=SECRETARY, today=TODAY, lead_id=LEAD, amount=Decimal(amount),
                                      arrived_on=on, reference=reference), **o)


def land(investment: str = "25000000.00", on: date = COMPLETED_ON, **o: Any) -> ConfirmLanded:
    return replace(ConfirmLanded(actor=TOWNSHIP, today=TODAY, lead_id=LEAD, completed_on=on,
                                 actual_fixed_investment=Decimal(investment)), **o)


def claim(on: date, **o: Any) -> ClaimReward:
    return replace(ClaimReward(actor=MEMBER, today=TODAY, lead_id=LEAD, claimant_id=MEMBER_ID, claimed_on=on), **o)


def decide(state: Lead, command: LeadCommand, **context: Any) -> list[LeadEvent]:
    return leads.decide(state, command, **context)


def given_(*commands: LeadCommand, state: Lead = leads.INITIAL, **context: Any) -> Lead:
    """The state after each command was decided and its events folded in."""
    for command in commands:
        state = fold(leads.evolve, state, leads.decide(state, command, **context))
    return state


def registered() -> Lead:
    return given_(register())


def signed() -> Lead:
    return given_(advance(LeadStage.SIGNED, SIGNED_ON), state=registered())


def funding() -> Lead:
    return given_(funds("10000000.00", date(2025, 5, 1), "v-1"), funds("15000000.00", date(2025, 9, 1), "v-2"),
                  state=signed())


def landed_(investment: str = "25000000.00", on: date = COMPLETED_ON) -> Lead:
    return given_(land(investment, on), state=funding())
