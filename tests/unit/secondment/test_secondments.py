"""Secondments (外出锻炼): nomination, departure, the two-year term, tracking, approvals, the end and proposals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.secondment.contract.commands import (
    DecideEarlyEnd,
    DecideExtension,
    EndSecondment,
    ListAsReserveCadre,
    ProposeCommendation,
    ProposePromotion,
    RecordCheckIn,
    RequestEarlyEnd,
    RequestExtension,
)
from services.secondment.contract.events import (
    REGISTRY,
    CadreReturned,
    CommendationProposed,
    ContributionKind,
    ContributionRecorded,
    EndOutcome,
    NominationApproved,
    SecondmentEndedEarly,
    SecondmentExtended,
    SecondmentStarted,
    UnpaidLeaveGranted,
)
from services.secondment.domain import secondments
from services.secondment.domain.common import term_last_day
from services.secondment.domain.secondments import Stage
from services.secondment.policy import DEFAULT_SECONDMENT_POLICY, secondment_policy_on
from tests.unit.secondment.builders import (
    COUNTY,
    DEPARTED,
    OTHER_SENDER,
    SENDER,
    TERM_LAST_DAY,
    a_cadre,
    approve,
    away,
    capital,
    decide,
    depart,
    given_,
    nominate,
    s,
)

ON_LEAVE = replace(DEFAULT_SECONDMENT_POLICY, version="unpaid-leave-on", unpaid_leave_allowed=True)


def end(last_day: date = TERM_LAST_DAY, outcome: EndOutcome = EndOutcome.RETURN_TO_POST) -> EndSecondment:
    return s(EndSecondment, outcome=outcome, last_day=last_day, decided_on=date(2026, 2, 20))


# --- nomination and departure -----------------------------------------------------------------------

def test_a_nomination_records_the_route_and_needs_the_county_to_approve_it() -> None:
    state = given_(nominate())
    assert state.stage is Stage.NOMINATED and state.route.value == "self_found"
    with pytest.raises(Forbidden, match="county organisation department"):
        decide(state, approve(actor=SENDER))
    (event,) = decide(state, approve())
    assert isinstance(event, NominationApproved) and event.approving_org_id == "county"
    assert event.actor == COUNTY.label


def test_a_sending_unit_nominates_only_cadres_of_its_own_township() -> None:
    with pytest.raises(Forbidden, match="township-b cannot nominate"):
        decide(secondments.INITIAL, nominate(actor=OTHER_SENDER))
    unit_scoped = Actor(subject="hr-u", role=Role.TOWNSHIP_COMMITTEE, org_id="u-1")
    assert decide(secondments.INITIAL, nominate(actor=unit_scoped))


def test_a_cadre_with_an_open_secondment_cannot_be_nominated_again() -> None:
    with pytest.raises(StateConflict, match="already has secondment s-0 open"):
        decide(secondments.INITIAL, nominate(), open_secondment_id="s-0")


def test_a_nomination_needs_the_cadre_from_context_and_a_registered_cadre() -> None:
    with pytest.raises(TypeError, match="NominateCadre needs the fact cadre"):
        secondments.decide(secondments.INITIAL, nominate())
    with pytest.raises(NotFound, match="no cadre c-2"):
        decide(secondments.INITIAL, nominate(cadre_id="c-2"))


def test_a_rejection_needs_a_reason_and_a_rejected_cadre_never_departs() -> None:
    with pytest.raises(DomainError, match="reason for rejecting"):
        decide(given_(nominate()), approve(approved=False))
    rejected = given_(nominate(), approve(approved=False, reason="needed at home for flood season"))
    with pytest.raises(StateConflict, match="needs a secondment that is approved"):
        decide(rejected, depart())


def test_the_departure_snapshots_post_rank_pay_and_relations_and_the_term_from_policy() -> None:
    (event,) = decide(given_(nominate(), approve()), depart())
    assert isinstance(event, SecondmentStarted)
    assert event.snapshot == a_cadre().snapshot() and event.snapshot.post == "deputy head of station"
    assert (event.term_months, event.planned_end, event.policy_version) == (24, TERM_LAST_DAY, "secondment-2026.1")


def test_a_departure_is_not_dated_before_the_approval() -> None:
    with pytest.raises(DomainError, match="before the approval on 2024-02-01"):
        decide(given_(nominate(), approve()), depart(date(2024, 1, 31)))


# --- the two-year term ----------------------------------------------------------------------------

@pytest.mark.parametrize(("departed", "last_day"), [
    (date(2024, 3, 1), date(2026, 2, 28)),
    (date(2024, 2, 29), date(2026, 2, 28)),
    (date(2026, 3, 1), date(2028, 2, 29)),
    (date(2024, 7, 1), date(2026, 6, 30)),
])
def test_a_two_year_term_ends_on_the_day_before_the_anniversary(departed: date, last_day: date) -> None:
    assert away(departed).planned_end == last_day


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_the_term_is_two_years_to_the_day_the_cadre_is_due_back_on_the_anniversary(departed: date) -> None:
    last = term_last_day(departed, 24)
    back = last + timedelta(days=1)
    assert back.year == departed.year + 2
    if (departed.month, departed.day) != (2, 29):
        assert (back.month, back.day) == (departed.month, departed.day)
    else:
        assert (back.month, back.day) == (3, 1)


def test_the_secondment_ends_at_term_on_the_last_day_but_not_the_day_before() -> None:
    with pytest.raises(DomainError, match="term runs until 2026-02-28; ending on 2026-02-27 is an early end"):
        decide(away(), end(TERM_LAST_DAY - timedelta(days=1)))
    (event,) = decide(away(), end(TERM_LAST_DAY))
    assert isinstance(event, CadreReturned) and event.planned_end == TERM_LAST_DAY


def test_the_term_end_is_due_on_its_last_day_and_overdue_from_the_anniversary() -> None:
    def term_item(on: date) -> secondments.DueItem:
        return next(i for i in secondments.due_items(away(), on) if i.kind == "term_ends")
    assert term_item(TERM_LAST_DAY) == secondments.DueItem(
        kind="term_ends", due_on=TERM_LAST_DAY, subject_id="s-1", overdue=False)
    assert term_item(TERM_LAST_DAY + timedelta(days=1)).overdue


def test_a_returned_secondment_owes_nothing() -> None:
    assert secondments.due_items(given_(end(), state=away()), date(2027, 1, 1)) == []


# --- check-ins ------------------------------------------------------------------------------------

def test_a_check_in_three_months_after_departure_is_on_time_and_a_day_later_is_late() -> None:
    def check(on: date) -> RecordCheckIn:
        return s(RecordCheckIn, checked_in_on=on, thinking="settled", work="sales lead for two villages")
    (on_time,) = decide(away(), check(date(2024, 6, 1)))
    (late,) = decide(away(), check(date(2024, 6, 2)))
    assert (on_time.late, late.late, late.due_on) == (False, True, date(2024, 6, 1))
    after = given_(check(date(2024, 5, 20)), state=away())
    items = secondments.due_items(after, date(2024, 8, 21))
    assert secondments.DueItem(kind="check_in_due", due_on=date(2024, 8, 20), subject_id="s-1",
                               overdue=True) in items


def test_the_check_in_frequency_is_a_policy_setting() -> None:
    monthly = replace(DEFAULT_SECONDMENT_POLICY, version="monthly", check_in_interval_months=1)
    (event,) = decide(away(), s(RecordCheckIn, checked_in_on=date(2024, 4, 2), thinking="ok", work=""),
                      policy=monthly)
    assert event.late and event.policy_version == "monthly"


def test_a_check_in_is_recorded_by_the_sending_unit_not_by_the_host() -> None:
    host = Actor(subject="host", role=Role.HOST_ORGANISATION, org_id="b-sz")
    with pytest.raises(Forbidden, match="only the sending unit"):
        decide(away(), s(RecordCheckIn, actor=host, checked_in_on=date(2024, 5, 1), thinking="ok", work="ok"))


# --- unpaid leave (停薪留职) ------------------------------------------------------------------------

def test_unpaid_leave_is_refused_while_the_policy_switch_is_off() -> None:
    with pytest.raises(DomainError, match=r"停薪留职.*switched off.*legal basis"):
        decide(away(), end(outcome=EndOutcome.UNPAID_LEAVE))


def test_unpaid_leave_keeps_the_post_when_the_county_switched_it_on() -> None:
    (event,) = decide(away(), end(outcome=EndOutcome.UNPAID_LEAVE), policy=ON_LEAVE)
    assert isinstance(event, UnpaidLeaveGranted) and event.policy_version == "unpaid-leave-on"
    assert event.post_kept == a_cadre().snapshot()
    assert secondments.evolve(away(), event).stage is Stage.UNPAID_LEAVE


# --- returning restores the snapshot ----------------------------------------------------------------

def test_returning_restores_the_snapshots_post_whatever_the_cadre_record_says_now() -> None:
    promoted_meanwhile = replace(a_cadre(), post="head of station", rank="deputy section chief")
    (event,) = decide(away(), end(), cadre=promoted_meanwhile)
    assert isinstance(event, CadreReturned)
    assert (event.returned_to.post, event.returned_to.rank) == ("deputy head of station", "section member")
    assert secondments.evolve(away(), event).stage is Stage.RETURNED


# --- early end and extension need approval --------------------------------------------------------

def early(last_day: date = date(2025, 6, 30)) -> RequestEarlyEnd:
    return s(RequestEarlyEnd, last_day=last_day, requested_on=date(2025, 6, 1), reason="family illness")


def test_an_early_end_takes_effect_only_when_the_county_approves_it() -> None:
    requested = given_(early(), state=away())
    assert requested.stage is Stage.AWAY and requested.last_day is None
    with pytest.raises(Forbidden, match="county organisation department"):
        decide(requested, s(DecideEarlyEnd, approved=True, decided_on=date(2025, 6, 5)))
    (event,) = decide(requested, s(DecideEarlyEnd, actor=COUNTY, approved=True, decided_on=date(2025, 6, 5)))
    assert isinstance(event, SecondmentEndedEarly) and event.returned_to.post == "deputy head of station"
    assert secondments.evolve(requested, event).stage is Stage.ENDED_EARLY


def test_a_refused_early_end_leaves_the_cadre_away_until_the_term_ends() -> None:
    refused = given_(early(), s(DecideEarlyEnd, actor=COUNTY, approved=False, decided_on=date(2025, 6, 5),
                                reason="project not finished"), state=away())
    assert refused.stage is Stage.AWAY and refused.pending is None and refused.planned_end == TERM_LAST_DAY


def test_an_early_end_is_before_the_terms_last_day() -> None:
    assert decide(away(), early(TERM_LAST_DAY - timedelta(days=1)))
    with pytest.raises(DomainError, match="not an early end"):
        decide(away(), early(TERM_LAST_DAY))


def test_nothing_else_ends_the_secondment_while_a_request_awaits_the_county() -> None:
    with pytest.raises(StateConflict, match="awaits the county's decision"):
        decide(given_(early(), state=away()), end())


def extend(months: int = 6) -> RequestExtension:
    return s(RequestExtension, months=months, requested_on=date(2025, 12, 1), reason="project signing in May")


def test_an_extension_moves_the_end_only_once_approved() -> None:
    requested = given_(extend(6), state=away())
    assert requested.planned_end == TERM_LAST_DAY
    with pytest.raises(StateConflict, match="awaits the county's decision"):
        decide(requested, end())
    (event,) = decide(requested, s(DecideExtension, actor=COUNTY, approved=True, decided_on=date(2025, 12, 10)))
    assert isinstance(event, SecondmentExtended)
    assert (event.previous_end, event.new_end) == (TERM_LAST_DAY, date(2026, 8, 31))
    extended = secondments.evolve(requested, event)
    with pytest.raises(DomainError, match="is an early end"):
        decide(extended, end(TERM_LAST_DAY))
    assert decide(extended, end(date(2026, 8, 31)))


def test_extensions_are_capped_by_policy_and_requested_before_the_term_ends() -> None:
    with pytest.raises(DomainError, match="at most 12 months"):
        decide(away(), extend(13))
    late = replace(extend(), requested_on=TERM_LAST_DAY + timedelta(days=1))
    with pytest.raises(DomainError, match="the term ended on 2026-02-28"):
        decide(away(), late)
    assert decide(away(), replace(extend(), requested_on=TERM_LAST_DAY))


def test_the_county_decides_only_a_pending_request() -> None:
    with pytest.raises(StateConflict, match="no extension"):
        decide(away(), s(DecideExtension, actor=COUNTY, approved=True, decided_on=date(2025, 12, 10)))
    with pytest.raises(StateConflict, match="no early end"):
        decide(given_(extend(), state=away()),
               s(DecideEarlyEnd, actor=COUNTY, approved=True, decided_on=date(2025, 12, 10)))


# --- contributions and commendation ---------------------------------------------------------------

def test_a_commendation_is_proposed_at_the_threshold_and_not_one_fen_below() -> None:
    propose = s(ProposeCommendation, proposed_on=date(2025, 2, 1), reason="factory relocated to the county")
    below = given_(capital("999999.99"), state=away())
    with pytest.raises(DomainError, match=r"capital 999999\.99 yuan \(threshold 1000000\)"):
        decide(below, propose)
    at = given_(capital("600000", "k-1"), capital("400000", "k-2"), state=away())
    assert at.commendation_proposed_on == date(2025, 1, 10)  # proposed automatically on crossing
    with pytest.raises(StateConflict, match="was proposed on 2025-01-10"):
        decide(at, propose)


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("3000000"), places=2))
def test_a_contribution_opens_a_commendation_exactly_when_capital_reaches_the_threshold(amount: Decimal) -> None:
    events = decide(away(), capital(str(amount)))
    proposed = [e for e in events if isinstance(e, CommendationProposed)]
    assert bool(proposed) == (amount >= Decimal(1_000_000))
    if proposed:
        assert proposed[0].threshold_yuan == Decimal(1_000_000) and proposed[0].capital_total_yuan == amount


def test_an_amount_on_a_talent_contribution_is_no_capital() -> None:
    talent = capital("5000000", kind=ContributionKind.TALENT, description="engineers recruited")
    (event,) = decide(away(), talent)
    assert isinstance(event, ContributionRecorded)


def test_a_redelivered_contribution_records_nothing_and_a_different_one_with_the_same_id_is_refused() -> None:
    state = given_(capital("5000"), state=away())
    assert decide(state, capital("5000")) == []
    with pytest.raises(AlreadyExists, match="k-1 is already recorded"):
        decide(state, capital("6000"))


def test_capital_needs_yuan_to_the_fen() -> None:
    with pytest.raises(DomainError, match="needs amount_yuan"):
        decide(away(), capital("1", amount_yuan=None))
    with pytest.raises(DomainError, match="more than two decimals"):
        decide(away(), capital("10.005"))
    with pytest.raises(DomainError, match="positive"):
        decide(away(), capital("0"))


def test_contributions_arriving_after_the_return_are_still_credited() -> None:
    returned = given_(end(), state=away())
    (event,) = decide(returned, capital("800", on=date(2026, 6, 1)))
    assert isinstance(event, ContributionRecorded)
    with pytest.raises(DomainError, match="before the departure"):
        decide(returned, capital("800", "k-9", on=DEPARTED - timedelta(days=1)))


# --- promotion and reserve cadres -----------------------------------------------------------------

def test_a_promotion_is_proposed_once_with_a_reason() -> None:
    promote = s(ProposePromotion, proposed_on=date(2026, 3, 5), reason="outstanding appraisal at the host")
    with pytest.raises(DomainError, match="reason for the promotion"):
        decide(away(), replace(promote, reason=" "))
    state = given_(promote, state=away())
    with pytest.raises(StateConflict, match="was proposed on 2026-03-05"):
        decide(state, promote)


def test_only_the_county_lists_a_reserve_cadre() -> None:
    listing = s(ListAsReserveCadre, listed_on=date(2026, 3, 5), reason="qualifies as reserve cadre")
    with pytest.raises(Forbidden, match="list a reserve cadre"):
        decide(away(), listing)
    (event,) = decide(away(), replace(listing, actor=COUNTY))
    assert event.approving_org_id == "county"


# --- policy and wire form -------------------------------------------------------------------------

def test_the_policy_in_force_is_the_latest_effective_one() -> None:
    newer = replace(DEFAULT_SECONDMENT_POLICY, version="2027", effective_from=date(2027, 1, 1), term_months=12)
    policies = (DEFAULT_SECONDMENT_POLICY, newer)
    assert secondment_policy_on(date(2026, 12, 31), policies).version == "secondment-2026.1"
    assert secondment_policy_on(date(2027, 1, 1), policies).term_months == 12
    with pytest.raises(LookupError):
        secondment_policy_on(date(1999, 12, 31), policies)


def test_events_round_trip_through_the_registry_with_exact_yuan() -> None:
    assert all(n.startswith("gb.secondment.") and n.endswith(".v1") for n in REGISTRY.names())
    started = decide(given_(nominate(), approve()), depart())[0]
    (recorded, _) = decide(away(), capital("1000000.50"))
    for event in (started, recorded):
        name = REGISTRY.wire_name(event)
        assert REGISTRY.decode(name, REGISTRY.encode(event)) == event
    assert b'"1000000.50"' in REGISTRY.encode(recorded)
