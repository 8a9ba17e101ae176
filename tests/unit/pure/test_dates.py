"""The recording axis: a fact's effective date against the day it is recorded (services/pure/dates.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.pure.dates import RecordedLate, check_effective, effective_on, noted, recording_reason
from services.pure.errors import DomainError

TODAY = date(2026, 11, 30)
LIMIT = 366
ARCHIVE = date(2026, 1, 1)


def check(day: date, reason: str | None = "entered from the paper minutes", *, archive: date | None = None,
          today: date = TODAY) -> str | None:
    return check_effective(day, today, "held_on", limit_days=LIMIT, reason=reason, archive_before=archive)


def test_a_fact_recorded_on_its_own_day_needs_no_reason_and_records_none() -> None:
    assert check(TODAY, None) is None
    assert check(TODAY, "a reason nobody needed") is None


def test_a_fact_in_the_future_is_refused_whatever_the_reason() -> None:
    with pytest.raises(DomainError, match="in the future"):
        check(TODAY + timedelta(days=1))


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_backdated_fact_without_a_reason_is_refused_naming_the_field(reason: str | None) -> None:
    with pytest.raises(DomainError, match="backdating_reason") as refused:
        check(TODAY - timedelta(days=1), reason)
    assert refused.value.extra["errors"][0]["field"] == "backdating_reason"


def test_a_backdated_fact_records_its_reason_stripped() -> None:
    assert check(TODAY - timedelta(days=3), "  minutes arrived by post  ") == "minutes arrived by post"


@given(st.integers(min_value=1, max_value=LIMIT))
def test_a_fact_up_to_the_limit_is_admitted_with_a_reason(days: int) -> None:
    assert check(TODAY - timedelta(days=days)) == "entered from the paper minutes"


@given(st.integers(min_value=LIMIT + 1, max_value=20 * 366))
def test_a_fact_older_than_the_limit_is_refused_naming_the_field_and_the_limit(days: int) -> None:
    with pytest.raises(DomainError, match=f"at most {LIMIT} days") as refused:
        check(TODAY - timedelta(days=days))
    assert "held_on" in refused.value.detail
    assert refused.value.extra["errors"][0]["field"] == "held_on"


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)))
def test_the_limit_boundary_is_the_day_limit_days_back_whatever_the_recording_day(today: date) -> None:
    last_admitted = today - timedelta(days=LIMIT)
    assert check(last_admitted, today=today) == "entered from the paper minutes"
    with pytest.raises(DomainError):
        check(last_admitted - timedelta(days=1), today=today)


def test_the_issue_example_a_transfer_requested_on_5_january_is_admitted_on_30_november() -> None:
    assert check(date(2026, 1, 5), "the paper request reached the county late") is not None


@given(st.dates(min_value=date(1990, 1, 1), max_value=ARCHIVE - timedelta(days=1)),
       st.sampled_from([None, "taken over from the 2024 ledger"]))
def test_a_fact_from_before_the_counties_first_day_of_records_is_taken_over_without_limit_or_reason(
        day: date, reason: str | None) -> None:
    assert check(day, reason, archive=ARCHIVE) == reason


def test_the_first_day_of_records_is_no_longer_the_archive() -> None:
    with pytest.raises(DomainError, match="backdating_reason"):
        check(ARCHIVE, None, archive=ARCHIVE)


@dataclass(frozen=True, kw_only=True)
class Vote:
    effective_dates: ClassVar[tuple[str, ...]] = ("held_on", "talked_on")
    today: date
    held_on: date
    talked_on: date | None = None
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class Request:
    effective_dates: ClassVar[tuple[str, ...]] = ("requested_on",)
    today: date
    requested_on: date | None = None
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class Held(RecordedLate):
    meeting_id: str


def test_an_omitted_optional_effective_date_is_the_recording_day() -> None:
    assert effective_on(Request(today=TODAY)) == TODAY
    assert recording_reason(Request(today=TODAY), limit_days=LIMIT, archive_before=None) is None


def test_every_effective_date_of_a_command_is_checked() -> None:
    vote = Vote(today=TODAY, held_on=TODAY, talked_on=TODAY + timedelta(days=2))
    with pytest.raises(DomainError, match="talked_on"):
        recording_reason(vote, limit_days=LIMIT, archive_before=None)


def test_a_backdating_reason_holding_an_id_number_is_refused_without_repeating_it() -> None:
    vote = Vote(today=TODAY, held_on=TODAY - timedelta(days=10), backdating_reason="补录 11010519491231002X 的会议")
    with pytest.raises(DomainError, match="backdating_reason holds what looks like an ID number") as refused:
        recording_reason(vote, limit_days=LIMIT, archive_before=None)
    assert "11010519491231002X" not in str(refused.value)


def test_a_command_backdated_on_any_of_its_dates_records_its_reason_on_every_event() -> None:
    vote = Vote(today=TODAY, held_on=TODAY - timedelta(days=10), backdating_reason="late minutes")
    reason = recording_reason(vote, limit_days=LIMIT, archive_before=None)
    assert noted([Held(meeting_id="m1"), Held(meeting_id="m2")], reason) == [
        Held(meeting_id="m1", backdating_reason="late minutes"),
        Held(meeting_id="m2", backdating_reason="late minutes"),
    ]
    assert effective_on(vote) == TODAY - timedelta(days=10)


def test_events_of_a_fact_recorded_on_its_day_are_unchanged() -> None:
    assert noted([Held(meeting_id="m1")], None) == [Held(meeting_id="m1")]
