"""The investment policy a county publishes is refused past the bounds of a typo (hostile review 2026-12-02): the
20,000 tiers a 1 MB publication holds made a 2 MB claim event the relay cannot publish, a rate of 10^17 per mille paid
rewards of 10^24 yuan, and a quantum of 0.000001 paid rewards below the fen."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from services.investment.domain.rewards import compute_reward
from services.investment.policy import DEFAULT_INVESTMENT_POLICY, RewardTier
from tests.unit.investment import decide, funding, land


@pytest.mark.parametrize(("changes", "says"), [
    ({"claim_window_months": 36_500}, "claim window 0 to 120 months"),
    ({"stalled_after_days": 36_500, "homecoming_stalled_after_days": 15}, "stall period is 1 to 3650 days"),
    ({"reward_tiers": tuple(RewardTier(from_amount=Decimal(n), rate_per_mille=Decimal(1)) for n in range(21))},
     "at most 20 tiers"),
    ({"reward_tiers": (RewardTier(from_amount=Decimal(0), rate_per_mille=Decimal(1001)),)}, "0 to 1000 per mille"),
    ({"reward_tiers": (RewardTier(from_amount=Decimal(0), rate_per_mille=Decimal(10**17)),)}, "0 to 1000 per mille"),
    ({"reward_quantum": Decimal("0.000001")}, "0.01, 0.1 or 1"),
    ({"reward_quantum": Decimal("1.00")}, "0.01, 0.1 or 1"),
])
def test_a_policy_past_the_bounds_of_a_typo_is_refused(changes: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        replace(DEFAULT_INVESTMENT_POLICY, **changes)


def test_the_tiers_a_claim_reaches_are_the_lines_of_its_event() -> None:
    # Why the count is bounded: every tier below the base is a line of the RewardClaimed event.
    tiers = tuple(RewardTier(from_amount=Decimal(n), rate_per_mille=Decimal(1)) for n in range(20))
    lines, _ = compute_reward(Decimal("25000000.00"), replace(DEFAULT_INVESTMENT_POLICY, reward_tiers=tiers))
    assert len(lines) == 20


def test_a_policy_at_its_bounds_decides_a_landing() -> None:
    policy = replace(DEFAULT_INVESTMENT_POLICY, claim_window_months=120, stalled_after_days=3_650,
                     homecoming_stalled_after_days=3_650, reward_quantum=Decimal(1),
                     reward_tiers=tuple(RewardTier(from_amount=Decimal(n), rate_per_mille=Decimal(1000))
                                        for n in range(20)))
    (event,) = decide(funding(), land(), policy=policy)
    assert event.claim_until.year == event.completed_on.year + 10
