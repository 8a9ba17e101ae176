"""The township 5 % target: staff out on a day over the headcount in force that day, rounded up."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.secondment.contract.commands import ChangeHeadcount, EndSecondment
from services.secondment.contract.events import EndOutcome, Route
from services.secondment.domain import secondments, units
from services.secondment.domain.targets import SecondmentPeriod, TargetStatus, township_targets, year_end_targets
from services.secondment.domain.units import Unit
from services.secondment.policy import DEFAULT_SECONDMENT_POLICY
from tests.unit.secondment.builders import COUNTY, SENDER, TERM_LAST_DAY, TODAY, a_unit, away, given_, s

POLICY = DEFAULT_SECONDMENT_POLICY
ON = date(2025, 12, 31)


def out(n: int, township: str = "township-a", route: Route = Route.SELF_FOUND, **o: object) -> list[SecondmentPeriod]:
    return [SecondmentPeriod(secondment_id=f"s-{township}-{i}", cadre_id=f"c-{i}", unit_id="u-1",
                             township_id=township, route=route, departed_on=date(2025, 3, 1), **o)  # type: ignore[arg-type]
            for i in range(n)]


def row(unit_list: list[Unit], periods: list[SecondmentPeriod], on: date = ON) -> object:
    (only,) = [r for r in township_targets(unit_list, periods, on) if r.township_id == "township-a"]
    return only


def test_a_township_at_exactly_five_percent_meets_the_target_and_one_person_short_does_not() -> None:
    staff_40 = [a_unit(headcount=40)]
    met = township_targets(staff_40, out(2), ON)[0]
    short = township_targets(staff_40, out(1), ON)[0]
    assert (met.required, met.out, met.percent_out, met.met, met.status) == (2, 2, Decimal("5.00"), True,
                                                                            TargetStatus.MET)
    assert (short.required, short.met, short.status) == (2, False, TargetStatus.MISSED)


def test_a_fraction_of_a_person_is_rounded_up() -> None:
    assert township_targets([a_unit(headcount=41)], out(2), ON)[0].required == 3
    assert township_targets([a_unit(headcount=20)], out(1), ON)[0].required == 1
    assert township_targets([a_unit(headcount=1)], out(0), ON)[0].required == 1


@given(st.integers(min_value=0, max_value=5000), st.integers(min_value=0, max_value=400))
def test_the_target_is_met_exactly_when_out_is_at_least_five_percent_of_headcount(headcount: int, n: int) -> None:
    required = POLICY.required_out(headcount)
    assert required * 100 >= headcount * 5 and (required == 0 or (required - 1) * 100 < headcount * 5)
    (r,) = township_targets([a_unit(headcount=headcount)], out(n), ON)
    assert r.met == (n * 100 >= headcount * 5)


def test_the_percentage_is_a_policy_setting() -> None:
    eight = replace(POLICY, version="8pc", township_target_percent=Decimal(8))
    (r,) = township_targets([a_unit(headcount=40)], out(3), ON, policy=eight)
    assert (r.required, r.met, r.policy_version) == (4, False, "8pc")


def test_headcount_is_the_one_in_force_on_the_day() -> None:
    unit = a_unit(headcount=40)
    change = ChangeHeadcount(actor=SENDER, today=TODAY, unit_id="u-1", headcount=60,
                             effective_from=date(2025, 7, 1), reason="stations merged")
    (event,) = units.decide(unit, change)
    grown = units.evolve(unit, event)
    assert township_targets([grown], out(2), date(2025, 6, 30))[0].required == 2
    assert township_targets([grown], out(2), date(2025, 7, 1))[0].required == 3


def test_all_organs_and_stations_of_a_township_count_and_other_townships_do_not() -> None:
    unit_list = [a_unit(headcount=30), a_unit(unit_id="u-2", headcount=30),
                 a_unit(unit_id="u-9", township_id="township-b", headcount=100, actor=COUNTY)]
    periods = [*out(3), *out(1, township="township-b")]
    a, b = township_targets(unit_list, periods, ON)
    assert (a.township_id, a.headcount, a.out, a.met) == ("township-a", 60, 3, True)
    assert (b.township_id, b.headcount, b.out, b.required, b.met) == ("township-b", 100, 1, 5, False)


def test_a_cadre_counts_from_departure_through_the_last_day_and_not_after() -> None:
    period = out(1, last_day=date(2025, 12, 31))
    unit = [a_unit(headcount=20)]
    assert township_targets(unit, period, date(2025, 2, 28))[0].out == 0
    assert township_targets(unit, period, date(2025, 3, 1))[0].out == 1
    assert township_targets(unit, period, date(2025, 12, 31))[0].out == 1
    assert township_targets(unit, period, date(2026, 1, 1))[0].out == 0


def test_a_cadre_on_unpaid_leave_after_the_term_is_no_longer_counted() -> None:
    leave_on = replace(POLICY, unpaid_leave_allowed=True)
    end = s(EndSecondment, outcome=EndOutcome.UNPAID_LEAVE, last_day=TERM_LAST_DAY, decided_on=date(2026, 2, 1))
    on_leave = given_(end, state=away(), policy=leave_on)
    period = secondments.period(on_leave)
    assert period is not None
    unit = [a_unit(headcount=20)]
    assert township_targets(unit, [period], TERM_LAST_DAY)[0].out == 1
    assert township_targets(unit, [period], TERM_LAST_DAY + timedelta(days=1))[0].out == 0


def test_an_ongoing_secondment_has_an_open_period_and_a_nomination_none() -> None:
    period = secondments.period(away())
    assert period is not None and period.last_day is None and period.covers(date(2030, 1, 1))
    assert secondments.period(secondments.INITIAL) is None


def test_the_year_end_target_is_open_during_the_year_and_missed_after_it() -> None:
    unit = [a_unit(headcount=40)]
    (during,) = year_end_targets(unit, out(1), 2025, date(2025, 9, 30))
    (after,) = year_end_targets(unit, out(1), 2025, date(2026, 2, 1))
    (met,) = year_end_targets(unit, out(2), 2025, date(2026, 2, 1))
    assert (during.status, during.on) == (TargetStatus.OPEN, date(2025, 9, 30))
    assert (after.status, after.on) == (TargetStatus.MISSED, date(2025, 12, 31))
    assert met.status is TargetStatus.MET


def test_the_report_shows_self_found_and_organisational_postings_apart() -> None:
    (r,) = township_targets([a_unit(headcount=40)], [*out(2), *out(1, route=Route.ORGANISATIONAL)], ON)
    assert (r.out, r.out_self_found, r.out_organisational) == (3, 2, 1)


def test_a_township_with_no_staff_recorded_needs_nobody_out() -> None:
    (r,) = township_targets([], [], ON, townships=["township-z"])
    assert (r.headcount, r.required, r.met, r.percent_out) == (0, 0, True, Decimal(0))
