"""One cadre, one time away at a time (hostile review 2026-12-02): a later secondment departs after the earlier one's
last day, the end at term names no last day the county never approved, and a post change entered after the return
is not dated back into the time away."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from services.pure.errors import DomainError
from services.secondment import handlers
from services.secondment.contract.commands import ChangePost, EndSecondment
from services.secondment.contract.events import CadreReturned, EndOutcome, SecondmentStarted
from services.secondment.domain import cadres
from tests.unit.secondment.builders import (
    SENDER,
    TERM_LAST_DAY,
    TODAY,
    a_cadre,
    approve,
    away,
    decide,
    depart,
    given_,
    nominate,
    s,
)


def test_a_departure_inside_the_cadres_earlier_secondment_is_refused_and_the_day_after_it_is_not() -> None:
    # The earlier secondment ran through TERM_LAST_DAY: overlapping it, the 5 % report counted the cadre twice.
    approved = given_(nominate(), approve())
    with pytest.raises(DomainError, match=f"away on an earlier secondment through {TERM_LAST_DAY}"):
        decide(approved, depart(date(2024, 3, 1)), back_from=TERM_LAST_DAY)
    with pytest.raises(DomainError, match="falls inside it"):
        decide(approved, depart(TERM_LAST_DAY), back_from=TERM_LAST_DAY)
    (event,) = decide(approved, depart(TERM_LAST_DAY + timedelta(days=1)), back_from=TERM_LAST_DAY)
    assert isinstance(event, SecondmentStarted)


def end(last_day: date, decided_on: date) -> EndSecondment:
    return s(EndSecondment, outcome=EndOutcome.RETURN_TO_POST, last_day=last_day, decided_on=decided_on)


def test_the_end_at_term_names_no_last_day_after_the_term_that_has_not_yet_passed() -> None:
    # Decided on the term's last day, a last day in 2100 kept the cadre out for 75 years with no extension approved.
    with pytest.raises(DomainError, match="request an extension for the county to approve"):
        decide(away(), end(date(2100, 12, 31), TERM_LAST_DAY))
    with pytest.raises(DomainError, match="is recorded once it has passed"):
        decide(away(), end(date(2026, 3, 14), date(2026, 3, 13)))
    # Decided ahead for the term's own last day, or after a late return as it happened: both recorded.
    for last_day, decided_on in ((TERM_LAST_DAY, date(2026, 1, 5)), (date(2026, 3, 14), date(2026, 3, 14)),
                                 (date(2026, 3, 14), date(2026, 6, 1))):
        (event,) = decide(away(), end(last_day, decided_on))
        assert isinstance(event, CadreReturned) and event.last_day == last_day


def change(changed_on: date) -> ChangePost:
    return ChangePost(actor=SENDER, today=TODAY, cadre_id="c-1", post="head of station", rank="deputy chief",
                      pay_grade="grade 6", changed_on=changed_on)


def test_a_post_change_entered_after_the_return_is_not_dated_into_the_time_away() -> None:
    with pytest.raises(DomainError, match=f"away on secondment through {TERM_LAST_DAY}"):
        cadres.decide(a_cadre(), change(date(2025, 6, 1)), away=False, back_from=TERM_LAST_DAY)
    with pytest.raises(DomainError, match="takes effect after"):
        cadres.decide(a_cadre(), change(TERM_LAST_DAY), away=False, back_from=TERM_LAST_DAY)
    (event,) = cadres.decide(a_cadre(), change(TERM_LAST_DAY + timedelta(days=1)), away=False,
                             back_from=TERM_LAST_DAY)
    assert event.changed_on == TERM_LAST_DAY + timedelta(days=1)


def test_the_last_day_to_come_after_is_the_latest_of_the_cadres_ended_secondments_but_this_one() -> None:
    first = given_(end(TERM_LAST_DAY, TERM_LAST_DAY), state=away())
    second = replace(first, secondment_id="s-2", last_day=date(2029, 5, 31))
    rejected = given_(nominate(), approve(approved=False, reason="needed at home for flood season"))
    assert handlers.back_from([first, rejected]) == TERM_LAST_DAY
    assert handlers.back_from([first, second, rejected]) == date(2029, 5, 31)
    assert handlers.back_from([first, second], but="s-2") == TERM_LAST_DAY
    assert handlers.back_from([away(), rejected]) is None
