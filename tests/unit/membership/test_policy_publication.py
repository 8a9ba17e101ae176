"""Membership's county settings as published data: which settings can be published, and the 2027-01-01 edge."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.membership.handlers.policies import Policies
from services.membership.policy import DEFAULT_POLICIES
from services.membership.policy.book import POLICY_BOOK
from services.pure.errors import DomainError
from services.pure.identity import Actor, Role
from services.pure.policy_data import PolicyChangePublished, PublishPolicyChange, decide_publish, in_force

COUNTY = Actor(subject="admin", role=Role.COUNTY_ADMIN, org_id="county")
PUBLISHED_ON = date(2026, 11, 30)
NEW_YEAR = date(2027, 1, 1)


def published(policy: str, changes: dict[str, object]) -> tuple[PolicyChangePublished, ...]:
    cmd = PublishPolicyChange(actor=COUNTY, today=PUBLISHED_ON, policy=policy, effective_from=NEW_YEAR,
                              changes=changes, reason="county notice")
    return tuple(decide_publish((), cmd, POLICY_BOOK))


@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)))
def test_a_letter_issued_before_2027_is_valid_90_days_and_from_2027_on_60(issued_on: date) -> None:
    county = Policies(published=published("mobility", {"letter_validity_days": 60}))
    assert county.mobility(issued_on).letter_validity_days == (60 if issued_on >= NEW_YEAR else 90)


def test_the_edge_is_the_effective_day_itself() -> None:
    county = Policies(published=published("mobility", {"letter_validity_days": 60, "max_expected_months": 60}))
    before, on = county.mobility(NEW_YEAR - timedelta(days=1)), county.mobility(NEW_YEAR)
    assert (before.letter_validity_days, before.max_expected_months, before.version) == (90, 120, "mobility-2026.1")
    assert (on.letter_validity_days, on.max_expected_months, on.version) == (60, 60, "mobility-2026.1+mobility.1")


def test_organisation_and_development_numbers_are_published_the_same_way() -> None:
    county = Policies(published=(*published("organisation", {"quorum_share": "2/3", "member_lectures_per_year": 2}),
                                 *published("development", {"activist_min_months_after_application": 6})))
    assert county.organisation(NEW_YEAR).quorum_share == Fraction(2, 3)
    assert county.organisation(NEW_YEAR).member_lectures_per_year == 2
    assert county.development(NEW_YEAR).activist_min_months_after_application == 6
    assert county.development(date(2026, 12, 31)).activist_min_months_after_application == 0
    assert county.mobility(NEW_YEAR).version == "mobility-2026.1"


@pytest.mark.parametrize(("policy", "changes", "field"), [
    ("mobility", {"letter_validity": 60}, "letter_validity"),
    ("mobility", {"letter_validity_days": "sixty"}, "letter_validity_days"),
    ("membership", {"minimum_age": 16}, "minimum_age"),  # national (党章 art. 1), not a county setting
    ("membership", {"backdating_limit_days": -1}, "changes"),  # 0 admits no late fact; below it means nothing
    ("dues", {"rounding": "ROUND_UP"}, "policy"),  # a whole dues scale is published at POST /v1/dues/scales
    ("development", {"records_kept_from": "2027-02-01"}, "records_kept_from"),
])
def test_a_setting_that_is_not_published_here_is_refused_naming_it(
    policy: str, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        published(policy, changes)
    assert refused.value.extra["field"] == field


def test_the_recording_rules_numbers_are_published_like_any_other_from_their_day_on() -> None:
    """The county shortens the backdating limit to 90 days and moves its first day of records, from 2027."""
    changes = published("membership", {"backdating_limit_days": 90, "records_kept_from": "2027-01-01"})
    old, new = (in_force(DEFAULT_POLICIES, changes, "membership", day) for day in (date(2026, 12, 31), NEW_YEAR))
    assert (old.backdating_limit_days, old.records_kept_from) == (366, date(2026, 12, 1))
    assert (new.backdating_limit_days, new.records_kept_from, new.version) == (
        90, date(2027, 1, 1), "membership-2026.1+membership.1")
