"""Published policy changes: the policy in force on a day, the effective_from edge, and validation at the door.

A toy policy with one setting of each kind a service's policy has (whole numbers, switches, exact numbers, shares,
days, an optional number, tiers); each service's own tests publish its real policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.pure.errors import DomainError, Forbidden
from services.pure.identity import Actor, Role
from services.pure.policy_data import (
    PolicyBook,
    PolicyChangePublished,
    PublishPolicyChange,
    decide_publish,
    history,
    in_force,
    settings_json,
)


@dataclass(frozen=True, kw_only=True)
class Tier:
    from_amount: Decimal
    rate_per_mille: Decimal


@dataclass(frozen=True, kw_only=True)
class LetterPolicy:
    version: str
    effective_from: date
    letter_validity_days: int = 90
    letter_alarm_days_before: int = 0
    max_expected_months: int = 120
    certificate_annual_review: bool = True
    target_percent: Decimal = Decimal(5)
    quorum_share: Fraction = Fraction(1, 2)
    lectures_per_year: int | None = None
    first_day: date = date(2026, 12, 1)
    tiers: tuple[Tier, ...] = (Tier(from_amount=Decimal(0), rate_per_mille=Decimal(3)),)
    backdating_limit_days: int = 366

    def __post_init__(self) -> None:
        if self.letter_validity_days < 1:
            raise ValueError("letter_validity_days must be at least 1")
        if self.letter_alarm_days_before < 0:
            raise ValueError("letter_alarm_days_before must not be negative")
        if self.tiers[0].from_amount != 0:
            raise ValueError("the first tier starts at 0")


@dataclass(frozen=True, kw_only=True)
class OtherPolicy:
    version: str
    effective_from: date
    switched_on: bool = False


CODE = (LetterPolicy(version="mobility-2026.1", effective_from=date(2000, 1, 1)),)
OTHER = (OtherPolicy(version="other-2026.1", effective_from=date(2000, 1, 1)),)
MEMBERSHIP_BOOK = PolicyBook(code={"mobility": CODE, "other": OTHER},
                             code_only={"backdating_limit_days": "read by the recording rule"})
TODAY = date(2026, 11, 30)
NEW_YEAR = date(2027, 1, 1)
COUNTY = Actor(subject="admin", role=Role.COUNTY_ADMIN, org_id="county")


def publish(published: tuple[PolicyChangePublished, ...] = (), *, policy: str = "mobility",
            effective_from: date = NEW_YEAR, changes: dict[str, Any] | None = None, today: date = TODAY,
            actor: Actor = COUNTY, book: Any = MEMBERSHIP_BOOK) -> tuple[PolicyChangePublished, ...]:
    cmd = PublishPolicyChange(actor=actor, today=today, policy=policy, effective_from=effective_from,
                              changes={"letter_validity_days": 60} if changes is None else changes,
                              reason="county notice 2026-17")
    return (*published, *decide_publish(published, cmd, book))


def mobility_on(published: tuple[PolicyChangePublished, ...], day: date) -> LetterPolicy:
    return in_force(CODE, published, "mobility", day)


# --- the effective_from edge -----------------------------------------------------------------------------------

def test_a_change_published_today_effective_next_year_applies_from_that_day_only() -> None:
    published = publish()
    assert mobility_on(published, date(2026, 12, 31)).letter_validity_days == 90
    assert mobility_on(published, NEW_YEAR).letter_validity_days == 60
    assert mobility_on(published, date(2030, 6, 1)).letter_validity_days == 60


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_a_fact_before_the_effective_day_gets_the_old_value_and_from_it_the_new_one(day: date) -> None:
    published = publish()
    policy = mobility_on(published, day)
    assert policy.letter_validity_days == (60 if day >= NEW_YEAR else 90)
    assert policy.version == ("mobility-2026.1+mobility.1" if day >= NEW_YEAR else "mobility-2026.1")


@given(st.integers(min_value=1, max_value=3650), st.integers(min_value=0, max_value=3650))
def test_the_edge_is_exactly_the_effective_day_whatever_the_day(ahead: int, offset: int) -> None:
    effective = TODAY + timedelta(days=ahead)
    published = publish(effective_from=effective, changes={"letter_validity_days": 30})
    assert mobility_on(published, effective - timedelta(days=1)).letter_validity_days == 90
    assert mobility_on(published, effective + timedelta(days=offset)).letter_validity_days == 30


def test_changes_overlay_in_order_of_effective_day_then_publication() -> None:
    published = publish(effective_from=date(2027, 6, 1), changes={"letter_validity_days": 45})
    published = publish(published, changes={"letter_validity_days": 60, "max_expected_months": 7})
    published = publish(published, effective_from=date(2027, 6, 1), changes={"letter_validity_days": 50})
    assert mobility_on(published, date(2027, 3, 1)).letter_validity_days == 60
    june = mobility_on(published, date(2027, 6, 1))
    assert (june.letter_validity_days, june.max_expected_months) == (50, 7)  # the later publication of the day wins
    assert june.version == "mobility-2026.1+mobility.3"
    assert [c.change_id for c in history(published, "mobility")] == ["mobility.2", "mobility.1", "mobility.3"]


def test_a_change_of_one_policy_leaves_the_others_as_they_are() -> None:
    published = publish()
    assert in_force(OTHER, published, "other", NEW_YEAR) == OTHER[0]
    switched = publish(published, policy="other", changes={"switched_on": True})
    assert not in_force(OTHER, switched, "other", date(2026, 12, 31)).switched_on
    assert in_force(OTHER, switched, "other", NEW_YEAR).switched_on
    assert mobility_on(switched, NEW_YEAR).letter_validity_days == 60


def test_exact_numbers_shares_days_and_tiers_cross_the_wire_as_json_and_come_back_typed() -> None:
    tiers = [{"from_amount": "0", "rate_per_mille": "2.5"}, {"from_amount": 20000000, "rate_per_mille": "1"}]
    published = publish(changes={"target_percent": "6.5", "quorum_share": "2/3", "lectures_per_year": 2,
                                 "first_day": "2027-03-01", "tiers": tiers})
    assert published[0].changes == {
        "target_percent": "6.5", "quorum_share": "2/3", "lectures_per_year": 2, "first_day": "2027-03-01",
        "tiers": [{"from_amount": "0", "rate_per_mille": "2.5"}, {"from_amount": "20000000", "rate_per_mille": "1"}]}
    policy = mobility_on(published, NEW_YEAR)
    assert (policy.target_percent, policy.quorum_share, policy.lectures_per_year, policy.first_day) == (
        Decimal("6.5"), Fraction(2, 3), 2, date(2027, 3, 1))
    assert policy.tiers == (Tier(from_amount=Decimal(0), rate_per_mille=Decimal("2.5")),
                            Tier(from_amount=Decimal(20_000_000), rate_per_mille=Decimal(1)))
    back_to_none = publish(published, changes={"lectures_per_year": None}, effective_from=date(2027, 2, 1))
    assert mobility_on(back_to_none, date(2027, 2, 1)).lectures_per_year is None


# --- refused at the door -----------------------------------------------------------------------------------------

def _refused(**kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as refused:
        publish(**kwargs)
    return refused.value


@pytest.mark.parametrize(("changes", "field"), [
    ({"letter_validity_dayz": 60}, "letter_validity_dayz"),
    ({"letter_validity_days": "60"}, "letter_validity_days"),
    ({"letter_validity_days": 60.0}, "letter_validity_days"),
    ({"letter_validity_days": True}, "letter_validity_days"),
    ({"certificate_annual_review": "yes"}, "certificate_annual_review"),
    ({"target_percent": 6.5}, "target_percent"),
    ({"target_percent": "six"}, "target_percent"),
    ({"target_percent": "NaN"}, "target_percent"),
    ({"quorum_share": "1/0"}, "quorum_share"),
    ({"quorum_share": "1e999999999"}, "quorum_share"),
    ({"target_percent": "1e999999999"}, "target_percent"),
    ({"target_percent": "2/3"}, "target_percent"),
    ({"letter_validity_days": 36_501}, "letter_validity_days"),
    ({"max_expected_months": 10**40}, "max_expected_months"),
    ({"first_day": "2027-02-30"}, "first_day"),
    ({"tiers": {"from_amount": "0"}}, "tiers"),
    ({"version": "mine"}, "version"),
    ({"effective_from": "2027-01-01"}, "effective_from"),
    ({"backdating_limit_days": 30}, "backdating_limit_days"),
    ({"letter_validity_days": 0}, "changes"),  # the policy's own check: at least 1
])
def test_an_unknown_setting_or_a_wrong_type_is_refused_naming_it(changes: dict[str, Any], field: str) -> None:
    error = _refused(changes=changes)
    assert error.status == 422
    assert error.extra["field"] == field
    assert field in error.detail or field == "changes"


def test_a_wrong_value_inside_a_tier_names_the_tier() -> None:
    error = _refused(changes={"tiers": [{"from_amount": "0", "rate_per_mille": 2.5}]})
    assert error.extra["field"] == "tiers[0].rate_per_mille"
    assert _refused(changes={"tiers": [{"from_amount": "0", "rate": "2"}]}).extra["field"] == "tiers[0]"
    assert _refused(changes={"tiers": [{"from_amount": "0"}]}).extra["field"] == "tiers[0]"
    assert "first tier starts at 0" in _refused(changes={"tiers": [{"from_amount": "5", "rate_per_mille": "2"}]}).detail


@pytest.mark.parametrize("effective_from", [TODAY, TODAY - timedelta(days=1), date(2020, 1, 1)])
def test_a_change_never_takes_effect_today_or_earlier(effective_from: date) -> None:
    error = _refused(effective_from=effective_from)
    assert error.extra["field"] == "effective_from"


def test_an_unknown_policy_an_empty_change_or_a_blank_reason_is_refused() -> None:
    assert _refused(policy="dues").extra["field"] == "policy"
    assert _refused(changes={}).extra["field"] == "changes"
    cmd = PublishPolicyChange(actor=COUNTY, today=TODAY, policy="mobility", effective_from=NEW_YEAR,
                              changes={"letter_validity_days": 60}, reason="  ")
    with pytest.raises(DomainError, match="reason"):
        decide_publish((), cmd, MEMBERSHIP_BOOK)


def test_a_reason_holding_a_phone_is_refused_without_repeating_it() -> None:
    cmd = PublishPolicyChange(actor=COUNTY, today=TODAY, policy="mobility", effective_from=NEW_YEAR,
                              changes={"letter_validity_days": 60}, reason="王科长 13812345678 要求")
    with pytest.raises(DomainError, match="reason holds what looks like a phone number") as refused:
        decide_publish((), cmd, MEMBERSHIP_BOOK)
    assert "13812345678" not in str(refused.value)


def test_only_the_county_publishes_policy() -> None:
    with pytest.raises(Forbidden):
        publish(actor=Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id="township-a"))


def test_a_change_is_checked_on_every_later_day_a_policy_version_starts() -> None:
    # An invalid value is refused whether it starts the day of the change or is carried into a later version.
    published = publish(changes={"letter_alarm_days_before": 5}, effective_from=date(2027, 6, 1))
    with pytest.raises(DomainError, match="in force on 2027-07-01 would be invalid"):
        publish(published, changes={"letter_alarm_days_before": -1}, effective_from=date(2027, 7, 1))
    with pytest.raises(DomainError, match="in force on 2027-01-01 would be invalid"):
        publish(published, changes={"letter_validity_days": -3})
    later = publish(published, changes={"letter_validity_days": 3})
    assert mobility_on(later, date(2027, 6, 1)).version == "mobility-2026.1+mobility.1"  # the last applied by day
    assert (mobility_on(later, date(2027, 6, 1)).letter_validity_days,
            mobility_on(later, date(2027, 6, 1)).letter_alarm_days_before) == (3, 5)


@dataclass(frozen=True, kw_only=True)
class _Odd:
    version: str
    effective_from: date
    ratio: complex = 1j


def test_a_setting_of_a_type_the_mechanism_does_not_know_cannot_be_published() -> None:
    book = PolicyBook(code={"odd": (_Odd(version="odd-1", effective_from=date(2000, 1, 1)),)})
    with pytest.raises(DomainError, match="not supported"):
        publish(policy="odd", changes={"ratio": "2"}, book=book)


def test_a_policy_reads_back_as_the_json_a_publication_would_send() -> None:
    settings = settings_json(mobility_on(publish(), NEW_YEAR))
    assert settings["letter_validity_days"] == 60 and "version" not in settings and "effective_from" not in settings
    assert (settings["target_percent"], settings["quorum_share"], settings["first_day"]) == ("5", "1/2", "2026-12-01")
    assert settings["tiers"] == [{"from_amount": "0", "rate_per_mille": "3"}]
    settable = {k: v for k, v in settings.items() if k != "backdating_limit_days"}
    assert publish(changes=settable)[0].changes == settable  # what is read back can be published as it is
