"""Membership's policies are refused past the bounds of a typo (review 2026-12-02): a township deadline of month 13,
published for a later year, made every targets report of that year a 500; a quorum share of 5/2 made no meeting
ever quorate; 10,000 months of activity certificate were taken; a dues scale took a million months of arrears and
a phone for its version."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from fractions import Fraction
from typing import Any

import pytest

from services.membership.contract.commands.dues import PublishDuesScale
from services.membership.domain import dues_policy
from services.membership.policy.dues import DUES_SCALE_2008
from services.membership.policy.mobility import DEFAULT_MOBILITY_POLICY
from services.membership.policy.organisation import DEFAULT_ORGANISATION_POLICY
from services.pure.errors import DomainError
from services.pure.identity import Actor, Role


@pytest.mark.parametrize(("changes", "says"), [
    ({"township_branch_deadline_month": 13}, "must name a day of every year"),
    ({"township_branch_deadline_month": 2, "township_branch_deadline_day": 29}, "29 February is not"),
    ({"township_branch_deadline_month": 4, "township_branch_deadline_day": 31}, "must name a day of every year"),
    ({"township_branch_deadline_day": 0}, "must name a day of every year"),
    ({"quorum_share": Fraction(5, 2)}, "below 1"),
    ({"quorum_share": Fraction(1)}, "below 1"),
    ({"quorum_share": Fraction(-1, 2)}, "at least 0"),
    ({"branch_min_full_members": 0}, "branch_min_full_members must be at least 1"),
    ({"term_years": 0}, "term_years must be at least 1"),
    ({"joint_branch_min_units": 3, "joint_branch_max_units": 2}, "joint_branch_max_units must not be below"),
])
def test_an_organisation_policy_past_the_bounds_of_a_typo_is_refused(changes: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        replace(DEFAULT_ORGANISATION_POLICY, **changes)


def test_an_organisation_policy_at_its_bounds_gives_a_deadline_in_every_year() -> None:
    policy = replace(DEFAULT_ORGANISATION_POLICY, township_branch_deadline_month=2, township_branch_deadline_day=28,
                     quorum_share=Fraction(0), branch_min_full_members=1)
    assert [policy.township_deadline(year) for year in (2027, 2028)] == [date(2027, 2, 28), date(2028, 2, 28)]
    assert replace(DEFAULT_ORGANISATION_POLICY, township_branch_deadline_month=12,
                   township_branch_deadline_day=31).township_deadline(2027) == date(2027, 12, 31)


@pytest.mark.parametrize("name", ["certificate_max_months", "lapse_months", "max_expected_months",
                                  "contact_loss_removal_months"])
def test_a_mobility_month_count_past_ten_years_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name} is at most 120 months"):
        replace(DEFAULT_MOBILITY_POLICY, **{name: 10_000})
    assert getattr(replace(DEFAULT_MOBILITY_POLICY, **{name: 120}), name) == 120


def _publish(**change: Any) -> list[Any]:
    scale = replace(DUES_SCALE_2008, **{"version": "dues-2026", "effective_from": date(2026, 1, 1), **change})
    county = Actor(subject="ca", role=Role.COUNTY_ADMIN, org_id="county")
    return dues_policy.decide(dues_policy.INITIAL, PublishDuesScale(actor=county, today=date(2025, 12, 1),
                                                                     scale=scale))


@pytest.mark.parametrize(("change", "says"), [
    ({"max_arrears_months": 1_000_000}, "at most 120 months"),
    ({"max_prepayment_months": 121}, "at most 120 months"),
    ({"lapse_months": 10_000}, "at most 120 months"),
    ({"version": "v" * 101}, "at most 100 characters"),
    ({"version": "13812345678"}, "version holds what looks like a phone number"),
])
def test_a_dues_scale_past_the_bounds_of_a_typo_is_refused(change: dict[str, Any], says: str) -> None:
    """A version is named on every assessment made with the scale; a month limit of a million months was taken."""
    with pytest.raises(DomainError, match=says):
        _publish(**change)


def test_a_dues_scale_at_its_bounds_is_published() -> None:
    (event,) = _publish(max_arrears_months=120, max_prepayment_months=120, lapse_months=120, version="d" * 100)
    assert event.scale.version == "d" * 100
