"""Member development (发展党员), development target to full member: introducers, training, votes, approvals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.handling import fold
from services.membership.contract.commands.development import (
    ApplyForConversion,
    CancelCase,
)
from services.membership.contract.events.development import (
    ConversionOutcome,
    Converted,
    DevelopmentCaseCancelled,
    PreReviewed,
    ProbationaryAdmitted,
    ProbationCancelled,
    ProbationExtended,
)
from services.membership.domain import development
from services.membership.domain.development import Stage
from services.membership.policy.development import DEFAULT_DEVELOPMENT_POLICY
from services.pure.errors import DomainError, Forbidden, StateConflict
from tests.unit.membership.development_builders import (
    APPLICANT,
    PERSON,
    PROBATION_END,
    SECRETARY,
    TOWNSHIP,
    VOTE_ON,
    activist,
    applied_for_conversion,
    approve,
    approve_conversion,
    conversion_vote,
    decide,
    dev_target,
    given_,
    introducers,
    pre_review,
    probationary,
    ready_target,
    review,
    s,
    target,
    training,
    vote,
    voted,
)

# --- introducers, political review, training, pre-review --------------------------------------------

@pytest.mark.parametrize("ids", [("m-1",), ("m-1", "m-2", "m-3")])
def test_a_development_target_has_exactly_two_introducers(ids: tuple[str, ...]) -> None:
    with pytest.raises(DomainError, match="exactly 2 introducers"):
        decide(dev_target(), introducers(*ids))


def test_introducers_are_two_different_full_members_other_than_the_target() -> None:
    with pytest.raises(DomainError, match="named once"):
        decide(dev_target(), introducers("m-1", "m-1"))
    with pytest.raises(DomainError, match="own introducer"):
        decide(dev_target(), introducers("m-1", PERSON))


def test_a_mobile_persons_political_review_consults_the_hukou_place_and_the_residence() -> None:
    with pytest.raises(DomainError, match="hukou_place_org and residence_org"):
        decide(dev_target(), review(residence_org=None))
    assert decide(dev_target(), review())[0].consulted_orgs == ("village-x", "street-y")


def test_training_below_24_hours_and_3_days_blocks_the_pre_review() -> None:
    short = given_(introducers(), review(), training("23.5", days=2), state=dev_target())
    with pytest.raises(DomainError, match=r"training of at least 24 hours or 3 days \(recorded: 23.5 hours"):
        decide(short, pre_review())
    assert decide(given_(training("0.5"), state=short), pre_review())[0].approved


def test_three_days_of_training_suffice_whatever_the_hours() -> None:
    state = given_(introducers(), review(), training("6", days=3), state=dev_target())
    assert isinstance(decide(state, pre_review())[0], PreReviewed)


def test_a_pre_review_needs_two_introducers_and_a_qualified_political_review() -> None:
    state = given_(review(qualified=False), training(), state=dev_target())
    with pytest.raises(DomainError, match="2 introducers; a political review that found the target qualified"):
        decide(state, pre_review())


def test_only_a_committee_with_approval_authority_pre_reviews() -> None:
    with pytest.raises(Forbidden, match="a branch_secretary cannot"):
        decide(ready_target(), pre_review(actor=SECRETARY))
    with pytest.raises(Forbidden, match="no approval authority"):
        decide(ready_target(), pre_review(), approver_has_authority=False)


def test_a_target_leaving_within_three_months_is_not_admitted_unless_the_policy_allows_it() -> None:
    with pytest.raises(DomainError, match="within 3 months"):
        decide(ready_target(), pre_review(leaving_on=date(2025, 7, 1)))
    assert not decide(ready_target(), pre_review(leaving_on=date(2025, 7, 2)))[0].leaving_soon
    lenient = replace(DEFAULT_DEVELOPMENT_POLICY, refuse_targets_leaving_soon=False)
    assert decide(ready_target(), pre_review(leaving_on=date(2025, 7, 1)), policy=lenient)[0].leaving_soon


# --- admission vote and approval --------------------------------------------------------------------

def test_a_meeting_needs_more_than_half_of_the_entitled_full_members_present() -> None:
    state = given_(pre_review(), state=ready_target())
    with pytest.raises(DomainError, match=r"no quorum: 5 of 10.*at least 6"):
        decide(state, vote(present=5, yes=5))
    assert decide(state, vote(present=6, yes=6))[0].passed


def test_admission_needs_yes_votes_from_more_than_half_of_the_entitled_not_of_those_present() -> None:
    state = given_(pre_review(), state=ready_target())
    assert not decide(state, vote(present=10, yes=5))[0].passed
    assert not decide(state, vote(present=6, yes=5))[0].passed
    assert decide(state, vote(present=10, yes=6))[0].passed


def test_written_opinions_of_absentees_count_as_votes_but_not_towards_the_quorum() -> None:
    state = given_(pre_review(), state=ready_target())
    with pytest.raises(DomainError, match="no quorum"):
        decide(state, vote(present=5, yes=6, no=0, written_opinions=3))
    assert decide(state, vote(present=6, yes=6, no=1, written_opinions=2))[0].passed


@st.composite
def ballots(draw: st.DrawFn) -> tuple[int, int, int, int]:
    """(entitled, present, written opinions, yes): any consistent count of a meeting."""
    entitled = draw(st.integers(1, 60))
    present = draw(st.integers(0, entitled))
    written = draw(st.integers(0, entitled - present))
    return entitled, present, written, draw(st.integers(0, present + written))


@given(ballots())
def test_a_vote_passes_iff_yes_and_presence_are_each_more_than_half_of_the_entitled(
    ballot: tuple[int, int, int, int],
) -> None:
    entitled, present, written, yes = ballot
    state = given_(pre_review(), state=ready_target())
    cmd = vote(present=present, yes=yes, no=present + written - yes, written_opinions=written)
    if present * 2 > entitled:
        assert decide(state, cmd, entitled_full_members=entitled)[0].passed is (yes * 2 > entitled)
    else:
        with pytest.raises(DomainError, match="no quorum"):
            decide(state, cmd, entitled_full_members=entitled)


def test_a_temporary_branch_cannot_hold_an_admission_vote() -> None:
    with pytest.raises(DomainError, match="temporary branch and cannot admit"):
        decide(given_(pre_review(), state=ready_target()), vote(), org_is_temporary=True)


def test_a_vote_on_an_activist_who_is_not_a_development_target_is_refused() -> None:
    with pytest.raises(StateConflict, match="stage development_target; p-1 is at stage activist"):
        decide(activist(), vote())


def test_the_branch_votes_only_after_the_pre_review_approved_and_on_one_candidate_per_ballot() -> None:
    with pytest.raises(DomainError, match="pre-review must approve"):
        decide(ready_target(), vote())
    with pytest.raises(DomainError, match="one candidate per ballot"):
        decide(given_(pre_review(), state=ready_target()), vote(candidates_on_ballot=2))


def test_counts_larger_than_the_meeting_are_refused() -> None:
    state = given_(pre_review(), state=ready_target())
    with pytest.raises(DomainError, match="exceed the 10 entitled"):
        decide(state, vote(present=9, yes=9, written_opinions=2))
    with pytest.raises(DomainError, match="votes counted"):
        decide(state, vote(present=6, yes=6, no=1))


def test_a_failed_vote_is_followed_by_a_new_meeting_and_a_passed_one_by_approval_only() -> None:
    failed = given_(pre_review(), vote(present=10, yes=5), state=ready_target())
    with pytest.raises(StateConflict, match="no admission vote has passed"):
        decide(failed, approve())
    with pytest.raises(StateConflict, match="a new vote is a new meeting"):
        decide(failed, vote())
    passed = given_(vote(held_on=VOTE_ON + timedelta(days=7)), state=failed)
    with pytest.raises(StateConflict, match="cannot hold another admission vote"):
        decide(passed, vote(held_on=VOTE_ON + timedelta(days=14)))


def test_a_branch_secretary_cannot_approve_an_admission() -> None:
    with pytest.raises(Forbidden, match="only a committee with approval authority"):
        decide(voted(), approve(actor=SECRETARY))
    with pytest.raises(Forbidden, match="no approval authority"):
        decide(voted(), approve(), approver_has_authority=False)


def test_approval_admits_a_probationary_member_for_one_year_from_the_vote() -> None:
    (event,) = decide(voted(), approve())
    assert isinstance(event, ProbationaryAdmitted)
    assert (event.probation_start, event.probation_end, event.late) == (VOTE_ON, PROBATION_END, False)
    assert (event.approving_org_id, event.actor) == ("township-a", TOWNSHIP.label)


def test_approval_after_three_months_needs_a_special_reason_and_after_six_is_refused() -> None:
    assert not decide(voted(), approve(approved_on=date(2025, 7, 15)))[0].late
    with pytest.raises(DomainError, match="special_reason"):
        decide(voted(), approve(approved_on=date(2025, 7, 16)))
    assert decide(voted(), approve(approved_on=date(2025, 10, 15), special_reason="flood"))[0].late
    with pytest.raises(DomainError, match="by 2025-10-15 at the latest"):
        decide(voted(), approve(approved_on=date(2025, 10, 16), special_reason="flood"))


def test_the_higher_committee_talks_with_the_target_before_approving() -> None:
    with pytest.raises(DomainError, match="before the committee's talk"):
        decide(voted(), approve(talked_on=date(2025, 5, 11)))


# --- probation and conversion -----------------------------------------------------------------------

def test_a_probationary_member_applies_for_conversion_when_probation_ends_after_the_oath() -> None:
    with pytest.raises(DomainError, match="record the oath first"):
        decide(given_(approve(), state=voted()), s(ApplyForConversion, applied_on=PROBATION_END))
    with pytest.raises(DomainError, match="applies for conversion from 2026-04-15"):
        decide(probationary(), s(ApplyForConversion, applied_on=PROBATION_END - timedelta(days=1)))
    assert decide(probationary(), s(ApplyForConversion, actor=APPLICANT, applied_on=PROBATION_END))


def test_a_conversion_meeting_more_than_a_month_after_the_application_is_recorded_as_late() -> None:
    assert not decide(applied_for_conversion(), conversion_vote(held_on=date(2026, 5, 15)))[0].late
    assert decide(applied_for_conversion(), conversion_vote(held_on=date(2026, 5, 16)))[0].late


def test_conversion_makes_a_full_member_with_party_age_from_the_end_of_probation() -> None:
    state = given_(conversion_vote(), state=applied_for_conversion())
    (event,) = decide(state, approve_conversion())
    assert isinstance(event, Converted) and event.party_age_start == PROBATION_END
    assert fold(development.evolve, state, [event]).stage is Stage.FULL


@pytest.mark.parametrize("months", [5, 13, None])
def test_probation_is_extended_by_six_to_twelve_months_only(months: int | None) -> None:
    with pytest.raises(DomainError, match="6 to 12 months"):
        decide(applied_for_conversion(), conversion_vote(ConversionOutcome.EXTEND, extension_months=months))


@pytest.mark.parametrize(("months", "new_end"), [(6, date(2026, 10, 15)), (12, date(2027, 4, 15))])
def test_an_extension_of_six_to_twelve_months_moves_the_end_of_probation(months: int, new_end: date) -> None:
    state = given_(conversion_vote(ConversionOutcome.EXTEND, extension_months=months), state=applied_for_conversion())
    (event,) = decide(state, approve_conversion(ConversionOutcome.EXTEND, extension_months=months))
    assert isinstance(event, ProbationExtended) and event.new_end == new_end


def test_a_second_extension_is_refused() -> None:
    extend = conversion_vote(ConversionOutcome.EXTEND, extension_months=6)
    once = given_(extend, approve_conversion(ConversionOutcome.EXTEND, extension_months=6),
                  state=applied_for_conversion())
    assert once.probation_end == date(2026, 10, 15) and once.conversion_applied_on is None
    again = given_(s(ApplyForConversion, applied_on=date(2026, 10, 15)), state=once)
    with pytest.raises(DomainError, match="at most 1 time"):
        decide(again, replace(extend, held_on=date(2026, 10, 20)))
    assert decide(again, conversion_vote(held_on=date(2026, 10, 20)))[0].passed


def test_the_committee_approves_the_branch_resolution_and_nothing_else() -> None:
    state = given_(conversion_vote(), state=applied_for_conversion())
    with pytest.raises(DomainError, match="resolved to convert"):
        decide(state, approve_conversion(ConversionOutcome.EXTEND, extension_months=6))
    with pytest.raises(Forbidden):
        decide(state, approve_conversion(actor=SECRETARY))


def test_a_probationary_member_is_cancelled_by_vote_and_approval_not_by_closing_the_case() -> None:
    with pytest.raises(StateConflict, match="conversion vote"):
        decide(probationary(), s(CancelCase, cancelled_on=date(2025, 6, 1), reason="misconduct"))
    state = given_(conversion_vote(ConversionOutcome.CANCEL), state=applied_for_conversion())
    (event,) = decide(state, approve_conversion(ConversionOutcome.CANCEL))
    assert isinstance(event, ProbationCancelled)
    assert fold(development.evolve, state, [event]).stage is Stage.CANCELLED


def test_a_temporary_branch_cannot_hold_a_conversion_vote() -> None:
    with pytest.raises(DomainError, match="temporary branch"):
        decide(applied_for_conversion(), conversion_vote(), org_is_temporary=True)


def test_a_withdrawn_case_is_marked_as_withdrawn_and_takes_no_further_steps() -> None:
    (event,) = decide(activist(), s(CancelCase, actor=APPLICANT, cancelled_on=date(2024, 4, 1), reason="personal"))
    assert isinstance(event, DevelopmentCaseCancelled) and event.withdrawn
    with pytest.raises(StateConflict, match="at stage cancelled"):
        decide(fold(development.evolve, activist(), [event]), target())
