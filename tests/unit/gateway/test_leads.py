"""The leads read model: each lead's stage from registration to landing, its instalments and reward claim."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import orjson

from services.gateway.readmodels import leads
from services.investment.contract.events import (
    FundsArrived,
    LeadAdvanced,
    LeadDropped,
    LeadDuplicateRecorded,
    LeadLanded,
    LeadRegistered,
    LeadStage,
    RewardClaimed,
    RewardLine,
)
from tests.unit.gateway.builders import Q, assigned, envelope, event, row, target


def test_a_registered_lead_starts_at_registered_with_its_last_progress_on_the_day_it_was_registered() -> None:
    ops = leads.apply(Q, envelope(), event(LeadRegistered, lead_id="l-1", township_id="township-a",
                                           registered_on=date(2024, 4, 1), promised_amount=Decimal("5000000")))
    inserted = row(ops[0])
    assert target(ops[0]) == "leads_view"
    assert (inserted["stage"], inserted["registered_on"], inserted["last_progress_on"]) == (
        "registered", date(2024, 4, 1), date(2024, 4, 1))


def test_a_duplicate_is_kept_as_its_own_row_pointing_at_the_earlier_lead() -> None:
    ops = leads.apply(Q, envelope(), event(LeadDuplicateRecorded, lead_id="l-2", earlier_lead_id="l-1"))
    inserted = row(ops[0])
    assert (inserted["lead_id"], inserted["stage"], inserted["earlier_lead_id"]) == ("l-2", "duplicate", "l-1")


def test_each_step_forward_is_progress() -> None:
    ops = leads.apply(Q, envelope(), event(LeadAdvanced, lead_id="l-1", to_stage=LeadStage.SIGNED,
                                           advanced_on=date(2024, 6, 1)))
    sets = assigned(ops[0])
    assert (sets["stage"], sets["last_progress_on"]) == ("signed", date(2024, 6, 1))


def test_arriving_funds_update_the_total_and_list_the_instalment() -> None:
    ops = leads.apply(Q, envelope(), event(FundsArrived, lead_id="l-1", instalment=2, amount=Decimal("400000"),
                                           total_arrived=Decimal("1100000"), arrived_on=date(2024, 9, 1)))
    assert [target(op) for op in ops] == ["leads_view", "lead_instalments"]
    sets = assigned(ops[0])
    assert (sets["stage"], sets["arrived_total"], sets["instalments"]) == (
        "funds_arriving", Decimal("1100000"), 2)
    assert (row(ops[1])["instalment"], row(ops[1])["amount"]) == (2, Decimal("400000"))


def test_a_landed_or_dropped_lead_stops_at_that_stage() -> None:
    landed = leads.apply(Q, envelope(), event(LeadLanded, lead_id="l-1", completed_on=date(2025, 1, 5),
                                              claim_until=date(2026, 1, 5)))
    dropped = leads.apply(Q, envelope(), event(LeadDropped, lead_id="l-3", dropped_on=date(2025, 2, 1),
                                               reason="investor withdrew"))
    assert (assigned(landed[0])["stage"], assigned(landed[0])["claim_until"]) == ("landed", date(2026, 1, 5))
    assert (assigned(dropped[0])["stage"], assigned(dropped[0])["drop_reason"]) == ("dropped", "investor withdrew")


def test_a_reward_claim_is_recorded_with_its_tiers_as_decimal_strings_and_noted_on_the_lead() -> None:
    line = event(RewardLine, tier=1, from_amount=Decimal("0"), to_amount=None, rate_per_mille=Decimal("5"),
                 portion=Decimal("1000000"), amount=Decimal("5000"))
    ops = leads.apply(Q, envelope(), event(RewardClaimed, lead_id="l-1", lines=(line,), amount=Decimal("5000")))
    assert [target(op) for op in ops] == ["leads_view", "reward_claims_view"]
    assert assigned(ops[0])["reward_amount"] == Decimal("5000")
    assert orjson.loads(row(ops[1])["lines"]) == [{"tier": 1, "from_amount": "0", "to_amount": None,
                                                   "rate_per_mille": "5", "portion": "1000000", "amount": "5000"}]
