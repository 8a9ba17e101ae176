"""Referral rewards: marginal per-mille tiers at each boundary, the claim window, one reward for the first referrer."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.investment.contract.events import REGISTRY, RewardClaimed, RewardLine
from services.investment.domain.rewards import compute_reward
from services.investment.policy import DEFAULT_INVESTMENT_POLICY, InvestmentPolicy, RewardTier
from services.pure.errors import DomainError, Forbidden, StateConflict
from services.pure.identity import Actor, Role
from tests.unit.investment import (
    COMPLETED_ON,
    LEAD,
    SECRETARY,
    claim,
    decide,
    funding,
    given_,
    land,
    landed_,
    register,
)

POLICY = DEFAULT_INVESTMENT_POLICY


def amount(base: str) -> Decimal:
    return compute_reward(Decimal(base), POLICY)[1]


# --- tiers ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("base", "reward"), [
    ("0.00", "0.00"),
    ("9999999.99", "30000.00"),          # 29,999.99997 rounded half up
    ("10000000.00", "30000.00"),         # 10,000,000 × 3 ‰: the top of tier 1
    ("10000000.01", "30000.00"),         # + 0.01 × 2 ‰ = 0.00002
    ("25000000.00", "60000.00"),         # 30,000 + 15,000,000 × 2 ‰
    ("50000000.00", "110000.00"),        # 30,000 + 40,000,000 × 2 ‰: the top of tier 2
    ("50001000.00", "110001.50"),        # + 1,000 × 1.5 ‰
    ("100000000.00", "185000.00"),       # 110,000 + 50,000,000 × 1.5 ‰
])
def test_the_reward_at_each_tier_boundary_is_marginal_per_mille(base: str, reward: str) -> None:
    assert amount(base) == Decimal(reward)


def test_the_computation_shows_each_tier_rate_portion_and_amount() -> None:
    lines, total = compute_reward(Decimal("60000000.00"), POLICY)
    assert lines == (
        RewardLine(tier=1, from_amount=Decimal(0), to_amount=Decimal(10_000_000), rate_per_mille=Decimal(3),
                   portion=Decimal("10000000.00"), amount=Decimal("30000")),
        RewardLine(tier=2, from_amount=Decimal(10_000_000), to_amount=Decimal(50_000_000), rate_per_mille=Decimal(2),
                   portion=Decimal("40000000.00"), amount=Decimal("80000")),
        RewardLine(tier=3, from_amount=Decimal(50_000_000), to_amount=None, rate_per_mille=Decimal("1.5"),
                   portion=Decimal("10000000.00"), amount=Decimal("15000")),
    )
    assert total == Decimal("125000.00")
    assert [line.tier for line in compute_reward(Decimal("10000000.00"), POLICY)[0]] == [1]
    assert [line.tier for line in compute_reward(Decimal("10000000.01"), POLICY)[0]] == [1, 2]


def test_the_total_is_rounded_half_up_to_the_fen() -> None:
    assert amount("15.00") == Decimal("0.05")   # 0.045 exactly
    assert amount("1.50") == Decimal("0.00")    # 0.0045


BASES = st.decimals(min_value=0, max_value=1_000_000_000, places=2, allow_nan=False, allow_infinity=False)


@given(BASES)
def test_the_tiers_split_the_base_and_match_the_written_formula(base: Decimal) -> None:
    lines, total = compute_reward(base, POLICY)
    assert sum(line.portion for line in lines) == base
    ten, fifty = Decimal(10_000_000), Decimal(50_000_000)
    exact = (min(base, ten) * 3 + min(max(base - ten, Decimal(0)), fifty - ten) * 2
             + max(base - fifty, Decimal(0)) * Decimal("1.5")) / 1000
    assert total == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@given(BASES, st.decimals(min_value=0, max_value=100_000_000, places=2, allow_nan=False, allow_infinity=False))
def test_a_larger_investment_never_earns_a_smaller_reward_and_no_boundary_jumps(base: Decimal, more: Decimal) -> None:
    assert compute_reward(base + more, POLICY)[1] >= compute_reward(base, POLICY)[1]
    step = compute_reward(base + Decimal("0.01"), POLICY)[1] - compute_reward(base, POLICY)[1]
    assert Decimal(0) <= step <= Decimal("0.01")


def test_reward_tiers_must_start_at_zero_and_increase() -> None:
    with pytest.raises(ValueError, match="starts at 0"):
        InvestmentPolicy(version="t", effective_from=date(2000, 1, 1),
                         reward_tiers=(RewardTier(from_amount=Decimal(1), rate_per_mille=Decimal(3)),))
    with pytest.raises(ValueError, match="strictly increasing"):
        InvestmentPolicy(version="t", effective_from=date(2000, 1, 1), reward_tiers=(
            RewardTier(from_amount=Decimal(0), rate_per_mille=Decimal(3)),
            RewardTier(from_amount=Decimal(0), rate_per_mille=Decimal(4))))


# --- claims -----------------------------------------------------------------------------------------

def test_a_claim_shows_how_the_reward_was_computed() -> None:
    (event,) = decide(landed_(), claim(date(2026, 3, 1)))
    assert isinstance(event, RewardClaimed)
    assert event.base == Decimal("25000000.00") and event.amount == Decimal("60000.00")
    assert [(line.tier, line.rate_per_mille, line.portion) for line in event.lines] == [
        (1, Decimal(3), Decimal("10000000.00")), (2, Decimal(2), Decimal("15000000.00"))]
    assert event.policy_version == POLICY.version and event.claim_until == date(2027, 2, 27)
    assert REGISTRY.decode(REGISTRY.wire_name(event), REGISTRY.encode(event)) == event


def test_a_reward_is_claimed_up_to_the_last_day_of_the_window_and_not_the_day_after() -> None:
    assert decide(landed_(), claim(date(2027, 2, 27)))
    with pytest.raises(DomainError, match="claim window closed on 2027-02-27"):
        decide(landed_(), claim(date(2027, 2, 28)))
    with pytest.raises(DomainError, match="before completion"):
        decide(landed_(), claim(COMPLETED_ON.replace(day=26)))


def test_a_project_completed_on_29_february_may_be_claimed_until_28_february() -> None:
    state = landed_(on=date(2028, 2, 29))
    assert state.claim_until == date(2029, 2, 28)
    with pytest.raises(DomainError, match="too late"):
        decide(state, claim(date(2029, 3, 1)))


def test_one_reward_per_project() -> None:
    state = given_(claim(date(2026, 3, 1)), state=landed_())
    with pytest.raises(StateConflict, match="already claimed on 2026-03-01"):
        decide(state, claim(date(2026, 3, 2)))


def test_only_the_first_registrant_is_rewarded() -> None:
    with pytest.raises(Forbidden, match="only the first referrer m-1"):
        decide(landed_(), claim(date(2026, 3, 1), actor=SECRETARY, claimant_id="m-2"))
    assert decide(landed_(), claim(date(2026, 3, 1), actor=SECRETARY))
    second = Actor(subject="m-2", role=Role.MEMBER)
    duplicate = given_(register(lead_id="lead-2", registrant_id="m-2", registrant_name="Zhao Min", actor=second),
                       earlier_lead_id=LEAD)
    with pytest.raises(StateConflict, match="claimed by the first referrer"):
        decide(duplicate, claim(date(2026, 3, 1), lead_id="lead-2", claimant_id="m-2", actor=second))


def test_a_reward_needs_a_landed_project_and_the_policy_minimum() -> None:
    with pytest.raises(DomainError, match="once the project is confirmed landed"):
        decide(funding(), claim(date(2026, 3, 1)))
    strict = InvestmentPolicy(version="t", effective_from=date(2000, 1, 1), reward_minimum_base=Decimal(30_000_000))
    with pytest.raises(DomainError, match="below the 30000000 yuan"):
        decide(landed_(), claim(date(2026, 3, 1)), policy=strict)
    assert decide(given_(land("30000000.00"), state=funding()), claim(date(2026, 3, 1)), policy=strict)


def test_a_member_cannot_claim_someone_elses_reward() -> None:
    with pytest.raises(Forbidden, match="cannot claim"):
        decide(landed_(), claim(date(2026, 3, 1), actor=Actor(subject="m-2", role=Role.MEMBER)))
    with pytest.raises(Forbidden, match="only the first referrer"):
        decide(landed_(), claim(date(2026, 3, 1), claimant_id="m-2"))
