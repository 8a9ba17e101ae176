"""Investment's county settings as published data: reward tiers from 2027-01-01 on, checked at the door."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.investment.policy import DEFAULT_INVESTMENT_POLICIES, POLICY_BOOK, RewardTier
from services.pure.errors import DomainError
from services.pure.identity import Actor, Role
from services.pure.policy_data import PolicyChangePublished, PublishPolicyChange, decide_publish, in_force

COUNTY = Actor(subject="admin", role=Role.COUNTY_ADMIN, org_id="county")
NEW_YEAR = date(2027, 1, 1)


def published(changes: dict[str, object]) -> tuple[PolicyChangePublished, ...]:
    cmd = PublishPolicyChange(actor=COUNTY, today=date(2026, 11, 30), policy="investment", effective_from=NEW_YEAR,
                              changes=changes, reason="county reward scheme 2027")
    return tuple(decide_publish((), cmd, POLICY_BOOK))


def test_new_reward_tiers_apply_to_projects_completed_from_2027_on() -> None:
    tiers = [{"from_amount": "0", "rate_per_mille": "4"}, {"from_amount": "30000000", "rate_per_mille": "3"}]
    changes = published({"reward_tiers": tiers, "claim_window_months": 18})
    old = in_force(DEFAULT_INVESTMENT_POLICIES, changes, "investment", date(2026, 12, 31))
    new = in_force(DEFAULT_INVESTMENT_POLICIES, changes, "investment", NEW_YEAR)
    assert old == DEFAULT_INVESTMENT_POLICIES[0]
    assert new.reward_tiers == (RewardTier(from_amount=Decimal(0), rate_per_mille=Decimal(4)),
                                RewardTier(from_amount=Decimal(30_000_000), rate_per_mille=Decimal(3)))
    assert (new.claim_window_months, new.version) == (18, "investment-2026.1+investment.1")


@pytest.mark.parametrize(("changes", "field"), [
    ({"reward_tiers": [{"from_amount": "10", "rate_per_mille": "3"}]}, "changes"),  # the first tier starts at 0
    ({"reward_tiers": [{"from_amount": "0", "rate_per_mille": 3.5}]}, "reward_tiers[0].rate_per_mille"),
    ({"reward_quantum": 0.01}, "reward_quantum"),
    ({"stalled_after_days": 0}, "changes"),
    ({"backdating_limit_days": -1}, "changes"),
])
def test_a_tier_or_number_the_policy_refuses_is_refused_at_publication(changes: dict[str, object], field: str) -> None:
    with pytest.raises(DomainError) as refused:
        published(changes)
    assert refused.value.extra["field"] == field


def test_the_county_publishes_the_homecoming_fast_lane_and_it_never_becomes_the_slower_lane() -> None:
    changes = published({"homecoming_stalled_after_days": 7})
    assert in_force(DEFAULT_INVESTMENT_POLICIES, changes, "investment", NEW_YEAR).stall_days(True) == 7
    assert in_force(DEFAULT_INVESTMENT_POLICIES, changes, "investment", date(2026, 12, 31)).stall_days(True) == 15
    for slower in ({"homecoming_stalled_after_days": 31}, {"stalled_after_days": 14}):
        with pytest.raises(DomainError, match="fast lane") as refused:
            published(slower)
        assert refused.value.extra["field"] == "changes"
