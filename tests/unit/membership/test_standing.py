"""Standing (B4, D2, D3): suspension after lost contact, removal in two steps, restoration, death, development."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.membership.contract.events.common import MemberStatus
from services.membership.contract.events.development import Converted, ProbationaryAdmitted, ProbationCancelled
from services.membership.contract.events.members import (
    MemberDied,
    MembershipRemoved,
    MembershipRestored,
    MembershipSuspended,
    RemovalDecided,
    RemovalGround,
    RemovalRejected,
)
from services.membership.domain import members, standing
from services.membership.policy.mobility import DEFAULT_MOBILITY_POLICY
from services.pure.errors import DomainError, Forbidden, StateConflict
from tests.unit.membership.builders import (
    BRANCH_ID,
    SECRETARY,
    TODAY,
    a_member_away,
    a_member_with_a_letter_out,
    a_receiving_branch,
    a_registered_member,
    approve_removal,
    decide,
    issue_certificate,
    outflow,
    receive_transfer,
    record_contact,
    record_death,
    reject_removal,
    remove_as_lapsed,
    request_transfer,
    restore,
    run,
    suspend,
)

# Registered on TODAY (2026-11-24): the last contact. Six months later is 2027-05-24.
SIX_MONTHS_ON = date(2027, 5, 24)


def a_suspended_member() -> members.Member:
    """Suspended on 2027-06-01 after no contact since 2026-11-24."""
    return run(a_registered_member(), suspend())


# --- Suspension -----------------------------------------------------------------------------------------

def test_a_member_is_not_suspended_six_months_minus_one_day_after_the_last_contact() -> None:
    day = date(2027, 5, 23)
    with pytest.raises(DomainError, match="earliest suspension date is 2027-05-24"):
        decide(a_registered_member(), suspend(suspended_on=day, today=day))


def test_a_member_is_suspended_exactly_six_months_after_the_last_contact() -> None:
    (event,) = decide(a_registered_member(), suspend(suspended_on=SIX_MONTHS_ON, today=SIX_MONTHS_ON))
    assert isinstance(event, MembershipSuspended)
    assert (event.last_contact_on, event.previous_status) == (TODAY, MemberStatus.FULL)
    assert (event.actor, event.approving_org_id, event.policy_version) == (
        "township_committee:t@township-a", "township-a", "mobility-2026.1")
    assert members.evolve(a_registered_member(), event).status is MemberStatus.SUSPENDED


def test_a_recorded_contact_moves_the_earliest_suspension_date() -> None:
    contacted = run(a_registered_member(), record_contact())
    with pytest.raises(DomainError, match="earliest suspension date is 2027-07-10"):
        decide(contacted, suspend())


def test_only_the_township_or_county_committee_suspends() -> None:
    with pytest.raises(Forbidden, match="township or county committee"):
        decide(a_registered_member(), suspend(actor=SECRETARY))


def test_a_member_without_any_recorded_contact_cannot_be_suspended() -> None:
    unknown = replace(a_registered_member(), last_contact_on=None)
    with pytest.raises(DomainError, match="record the last known contact"):
        decide(unknown, suspend())


def test_a_suspended_member_is_not_suspended_again() -> None:
    with pytest.raises(StateConflict, match="suspended member cannot be suspended"):
        decide(a_suspended_member(), suspend(today=date(2027, 7, 1), suspended_on=date(2027, 7, 1)))


def test_a_suspended_member_has_no_vote_cannot_transfer_and_gets_no_certificate() -> None:
    suspended = a_suspended_member()
    assert not members.may_vote_in(suspended, BRANCH_ID)
    with pytest.raises(StateConflict, match="suspended member cannot transfer"):
        decide(suspended, request_transfer(today=date(2027, 7, 1)), receiving_org=a_receiving_branch())
    with pytest.raises(StateConflict, match="suspended member cannot receive an activity certificate"):
        decide(suspended, issue_certificate(today=date(2027, 7, 1), issued_on=date(2027, 7, 1)))


# --- Restoration ----------------------------------------------------------------------------------------

def test_a_suspended_member_is_restored_to_their_former_standing_once_contact_is_regained() -> None:
    regained = run(a_suspended_member(), record_contact(today=date(2027, 8, 20), contacted_on=date(2027, 8, 20)))
    (event,) = decide(regained, restore())
    assert isinstance(event, MembershipRestored) and event.status is MemberStatus.FULL
    assert event.approving_org_id == "township-a"
    restored = members.evolve(regained, event)
    assert restored.status is MemberStatus.FULL and restored.suspended_on is None
    assert members.may_vote_in(restored, BRANCH_ID)


def test_a_suspended_member_is_not_restored_without_renewed_contact() -> None:
    with pytest.raises(DomainError, match="record the renewed contact first"):
        decide(a_suspended_member(), restore())


def test_only_a_suspended_member_is_restored() -> None:
    with pytest.raises(StateConflict, match="only a suspended member"):
        decide(a_registered_member(), restore())


def test_a_removed_member_rejoins_through_development_not_restoration() -> None:
    removed = replace(a_registered_member(), status=MemberStatus.REMOVED)
    with pytest.raises(DomainError, match="rejoin through development"):
        decide(removed, restore())


# --- Removal in two steps -------------------------------------------------------------------------------

def test_a_removal_is_decided_by_the_branch_meeting_and_changes_nothing_until_approved() -> None:
    (event,) = decide(a_suspended_member(), remove_as_lapsed())
    assert isinstance(event, RemovalDecided)
    assert (event.deciding_org_id, event.actor, event.ground) == (BRANCH_ID, "branch_secretary:sec@b-1",
                                                                  RemovalGround.LOST_CONTACT)
    decided = members.evolve(a_suspended_member(), event)
    assert decided.status is MemberStatus.SUSPENDED and decided.removal_decision is not None


def test_the_higher_committee_approves_the_removal() -> None:
    decided = run(a_suspended_member(), remove_as_lapsed())
    (event,) = decide(decided, approve_removal())
    assert isinstance(event, MembershipRemoved)
    assert (event.actor, event.approving_org_id, event.deciding_org_id) == (
        "township_committee:t@township-a", "township-a", BRANCH_ID)
    assert members.evolve(decided, event).status is MemberStatus.REMOVED


def test_a_branch_secretary_cannot_approve_the_removal_their_branch_decided() -> None:
    decided = run(a_suspended_member(), remove_as_lapsed())
    with pytest.raises(Forbidden, match="township or county committee"):
        decide(decided, approve_removal(actor=SECRETARY))


def test_a_removal_is_not_approved_without_a_branch_decision() -> None:
    with pytest.raises(StateConflict, match="branch meeting decides first"):
        decide(a_suspended_member(), approve_removal())


def test_a_removal_is_not_decided_twice_while_one_awaits_approval() -> None:
    decided = run(a_suspended_member(), remove_as_lapsed())
    with pytest.raises(StateConflict, match="awaits the higher committee"):
        decide(decided, remove_as_lapsed())


def test_a_rejected_removal_leaves_the_member_as_they_were() -> None:
    decided = run(a_suspended_member(), remove_as_lapsed())
    (event,) = decide(decided, reject_removal())
    assert isinstance(event, RemovalRejected) and event.approving_org_id == "township-a"
    rejected = members.evolve(decided, event)
    assert rejected.status is MemberStatus.SUSPENDED and rejected.removal_decision is None


def test_removal_for_lost_contact_comes_two_years_after_the_suspension() -> None:
    day = date(2029, 5, 31)
    with pytest.raises(DomainError, match="from 2029-06-01"):
        decide(a_suspended_member(), remove_as_lapsed(decided_on=day, today=day))
    assert decide(a_suspended_member(), remove_as_lapsed())


def test_removal_for_lost_contact_follows_a_suspension() -> None:
    with pytest.raises(DomainError, match="suspend the member first"):
        decide(a_registered_member(), remove_as_lapsed())


def test_removal_for_lost_contact_is_refused_once_contact_is_regained() -> None:
    regained = run(a_suspended_member(), record_contact(today=date(2027, 8, 20), contacted_on=date(2027, 8, 20)))
    with pytest.raises(DomainError, match="restore the member instead"):
        decide(regained, remove_as_lapsed())


def test_a_transfer_is_late_only_after_more_than_six_months() -> None:
    # The letter was issued on 2026-12-01; six months later is 2027-06-01.
    late = remove_as_lapsed(ground=RemovalGround.LATE_TRANSFER, reason="not transferred without reason")
    on_the_day = replace(late, decided_on=date(2027, 6, 1), today=date(2027, 6, 1))
    with pytest.raises(DomainError, match="from 2027-06-02"):
        decide(a_member_with_a_letter_out(), on_the_day)
    (event,) = decide(a_member_with_a_letter_out(),
                              replace(late, decided_on=date(2027, 6, 2), today=date(2027, 6, 2)))
    assert isinstance(event, RemovalDecided) and event.ground is RemovalGround.LATE_TRANSFER


def test_late_transfer_needs_a_letter_outstanding() -> None:
    with pytest.raises(DomainError, match="no transfer letter is outstanding"):
        decide(a_registered_member(), remove_as_lapsed(ground=RemovalGround.LATE_TRANSFER))


def test_six_months_without_dues_or_organisational_life_grounds_a_lapse_and_five_do_not() -> None:
    lapsed = remove_as_lapsed(ground=RemovalGround.NO_DUES_OR_ORGANISATIONAL_LIFE)
    with pytest.raises(DomainError, match="needs 6 consecutive months"):
        decide(a_registered_member(), lapsed, months_without_dues_or_life=5)
    assert decide(a_registered_member(), lapsed, months_without_dues_or_life=6)
    with pytest.raises(TypeError, match="months_without_dues_or_life="):
        decide(a_registered_member(), lapsed)


def test_a_member_is_struck_off_on_the_branch_reasons() -> None:
    (event,) = decide(a_registered_member(), remove_as_lapsed(ground=RemovalGround.STRUCK_OFF,
                                                                      reason="no longer meets the standard"))
    assert isinstance(event, RemovalDecided)
    with pytest.raises(DomainError, match="reason is required"):
        decide(a_registered_member(), remove_as_lapsed(ground=RemovalGround.STRUCK_OFF, reason=" "))


def test_a_removal_closes_the_transfer_in_progress() -> None:
    state = run(a_member_with_a_letter_out(), remove_as_lapsed(ground=RemovalGround.STRUCK_OFF, reason="struck off"))
    (event,) = decide(state, approve_removal())
    assert isinstance(event, MembershipRemoved) and event.transfer_closed == "tr-1"
    removed = members.evolve(state, event)
    assert removed.formal_org_id == BRANCH_ID
    with pytest.raises(StateConflict, match="no transfer in progress"):
        decide(removed, receive_transfer())


# --- Death ----------------------------------------------------------------------------------------------

def test_a_death_is_recorded_once_and_ends_every_duty() -> None:
    (event,) = decide(a_member_away(), record_death())
    assert isinstance(event, MemberDied) and event.recording_org_id == BRANCH_ID
    dead = members.evolve(a_member_away(), event)
    assert dead.standing == "deceased" and dead.formal_org_id == BRANCH_ID
    assert not members.may_vote_in(dead, BRANCH_ID)
    assert members.due_items(dead, date(2030, 1, 1)) == []
    with pytest.raises(StateConflict, match="died on 2027-02-20"):
        decide(dead, record_death())


# --- Development (another module's events) --------------------------------------------------------------

def _admitted() -> ProbationaryAdmitted:
    return ProbationaryAdmitted(
        person_id="p-1", org_id=BRANCH_ID, vote_on=date(2026, 3, 1), talked_on=date(2026, 3, 20),
        approved_on=date(2026, 4, 1), approval_due_on=date(2026, 6, 1), late=False, special_reason=None,
        probation_start=date(2026, 3, 1), probation_end=date(2027, 3, 1), actor="t", approving_org_id="township-a",
        policy_version="development-2026.1",
    )


def test_an_admitted_person_is_a_probationary_member_without_a_vote() -> None:
    member = members.apply_development(members.INITIAL, _admitted())
    assert (member.exists, member.member_id, member.formal_org_id, member.status) == (
        True, "p-1", BRANCH_ID, MemberStatus.PROBATIONARY)
    assert member.last_contact_on == date(2026, 4, 1)
    assert not members.may_vote_in(member, BRANCH_ID)


def test_a_converted_member_is_full_and_votes_in_the_formal_organisation() -> None:
    member = members.apply_development(members.INITIAL, _admitted())
    converted = Converted(person_id="p-1", org_id=BRANCH_ID, vote_on=date(2027, 3, 5), approved_on=date(2027, 3, 20),
                          late=False, party_age_start=date(2027, 3, 1), actor="t", approving_org_id="township-a",
                          policy_version="development-2026.1")
    full = members.apply_development(member, converted)
    assert full.status is MemberStatus.FULL and members.may_vote_in(full, BRANCH_ID)


def test_a_cancelled_probation_ends_the_membership() -> None:
    member = members.apply_development(members.INITIAL, _admitted())
    cancelled = ProbationCancelled(person_id="p-1", org_id=BRANCH_ID, vote_on=date(2027, 3, 5),
                                   approved_on=date(2027, 3, 20), late=False, actor="t", approving_org_id="township-a",
                                   policy_version="development-2026.1")
    assert members.apply_development(member, cancelled).status is MemberStatus.REMOVED


# --- Contact reviews (D4) -------------------------------------------------------------------------------

def _reviews(state: members.Member, on: date, **policy: bool) -> dict[str, bool]:
    chosen = replace(DEFAULT_MOBILITY_POLICY, **policy)
    return {item.kind: item.overdue for item in standing.due_items(state, on, chosen)}


def test_the_suspension_review_of_a_member_away_is_due_six_months_after_the_last_contact() -> None:
    away = a_member_away()
    assert _reviews(away, date(2027, 5, 23)) == {}
    assert _reviews(away, SIX_MONTHS_ON) == {"suspension_review": False}
    assert _reviews(away, date(2027, 5, 25)) == {"suspension_review": True}


def test_members_at_home_are_reviewed_only_when_the_policy_says_so() -> None:
    assert _reviews(a_registered_member(), SIX_MONTHS_ON) == {}
    assert _reviews(a_registered_member(), SIX_MONTHS_ON, contact_reviews_only_when_away=False) == {
        "suspension_review": False}


def test_the_removal_review_falls_two_years_after_the_suspension_without_contact() -> None:
    suspended = a_suspended_member()
    assert _reviews(suspended, date(2029, 5, 31)) == {}
    assert _reviews(suspended, date(2029, 6, 1)) == {"removal_review": False}
    regained = run(suspended, record_contact(today=date(2027, 8, 20), contacted_on=date(2027, 8, 20)))
    assert _reviews(regained, date(2029, 6, 1)) == {}


def test_an_unsuspended_member_still_unreachable_is_reviewed_for_removal_two_and_a_half_years_on() -> None:
    away = run(a_registered_member(), outflow())
    assert _reviews(away, date(2029, 5, 23)) == {"suspension_review": True}
    assert _reviews(away, date(2029, 5, 24)) == {"suspension_review": True, "removal_review": False}
