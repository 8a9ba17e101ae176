"""Transfers of organisational relationship (B3): one at a time, the sender responsible until receipt."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.membership.contract.events.branches import OrgKind
from services.membership.contract.events.common import MemberStatus
from services.membership.contract.events.transfers import (
    ExternalOrganisation,
    ReceiptReturned,
    TransferCancelled,
    TransferExpired,
    TransferLetterIssued,
    TransferLetterReissued,
    TransferReceived,
    TransferRequested,
)
from services.membership.domain import branches, members, transfers
from services.membership.policy.mobility import DEFAULT_MOBILITY_POLICY, MobilityPolicy, mobility_policy_on
from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from tests.unit.membership.builders import (
    ADMIN,
    BRANCH_ID,
    EXTERNAL,
    EXTERNAL_HOST,
    ISSUED_ON,
    MEMBER_SELF,
    RECEIVING_ID,
    RECEIVING_SECRETARY,
    SECRETARY,
    TOWNSHIP,
    a_member_away,
    a_member_with_a_letter_out,
    a_receiving_branch,
    a_registered_member,
    an_established_branch,
    approve_transfer,
    cancel_transfer,
    decide,
    expire_letter,
    issue_certificate,
    receive_transfer,
    register_inflow,
    reissue_letter,
    request_transfer,
    return_receipt,
    run,
)

VALID_UNTIL = ISSUED_ON + timedelta(days=90)  # 2027-03-01


def a_member_with_a_request() -> members.Member:
    return run(a_registered_member(), request_transfer(), receiving_org=a_receiving_branch())


def an_external_transfer_with_a_letter() -> members.Member:
    return run(a_registered_member(), request_transfer(to_org_id=None, to_external=EXTERNAL), approve_transfer())


# --- Request -------------------------------------------------------------------------------------------

def test_a_member_requests_a_transfer_from_their_formal_organisation() -> None:
    (event,) = decide(a_registered_member(), request_transfer(), receiving_org=a_receiving_branch())
    assert isinstance(event, TransferRequested)
    assert (event.from_org_id, event.to_org_id, event.to_external) == (BRANCH_ID, RECEIVING_ID, None)
    assert event.actor == "member:m-1"


def test_a_transfer_to_an_organisation_that_does_not_exist_is_refused() -> None:
    with pytest.raises(NotFound, match="b-2 does not exist"):
        decide(a_registered_member(), request_transfer(), receiving_org=branches.INITIAL)


def test_a_transfer_to_an_organisation_here_needs_the_receiving_organisation_from_the_handler() -> None:
    with pytest.raises(TypeError, match="receiving_org="):
        decide(a_registered_member(), request_transfer())


@pytest.mark.parametrize("to_org_id, to_external", [(None, None), (RECEIVING_ID, EXTERNAL)])
def test_a_request_names_either_an_organisation_here_or_one_outside_the_county(
    to_org_id: str | None, to_external: ExternalOrganisation | None
) -> None:
    with pytest.raises(DomainError, match="either to_org_id"):
        decide(a_registered_member(), request_transfer(to_org_id=to_org_id, to_external=to_external),
                       receiving_org=a_receiving_branch())


def test_an_external_organisation_needs_a_name_and_an_address() -> None:
    nameless = replace(EXTERNAL, address=" ")
    with pytest.raises(DomainError, match=r"to_external\.address"):
        decide(a_registered_member(), request_transfer(to_org_id=None, to_external=nameless))


def test_a_transfer_outside_the_county_cannot_name_an_organisation_of_the_county() -> None:
    """Review of 2026-12-02: to_external naming another township's branch was requested, approved and received —
    the member's formal organisation became that branch while the record called them outside the county (off its
    roster, their dues left behind)."""
    ours = replace(EXTERNAL, org_id=RECEIVING_ID)
    with pytest.raises(DomainError, match=r"is an organisation of this county.*to_org_id instead of to_external"):
        decide(a_registered_member(), request_transfer(to_org_id=None, to_external=ours),
               receiving_org=a_receiving_branch())
    (event,) = decide(a_registered_member(), request_transfer(to_org_id=None, to_external=EXTERNAL),
                      receiving_org=branches.INITIAL)
    assert event.to_external == EXTERNAL
    # A host-locality organisation on record here is outside the county's tree: a member may transfer to it.
    host = branches.Organisation(exists=True, org_id=EXTERNAL.org_id, kind=OrgKind.HOST_ORGANISATION)
    (event,) = decide(a_registered_member(), request_transfer(to_org_id=None, to_external=EXTERNAL),
                      receiving_org=host)
    assert event.to_org_id == EXTERNAL.org_id


def test_a_member_cannot_transfer_to_their_own_formal_organisation() -> None:
    with pytest.raises(DomainError, match="already the member's formal organisation"):
        decide(a_registered_member(), request_transfer(to_org_id=BRANCH_ID),
                       receiving_org=a_receiving_branch())


def test_a_second_concurrent_transfer_request_is_refused() -> None:
    with pytest.raises(StateConflict, match="one transfer at a time"):
        decide(a_member_with_a_request(), request_transfer(transfer_id="tr-2"),
                       receiving_org=a_receiving_branch())


def test_a_member_requests_only_their_own_transfer() -> None:
    other = Actor(subject="m-2", role=Role.MEMBER)
    with pytest.raises(Forbidden, match="only for themselves"):
        decide(a_registered_member(), request_transfer(actor=other), receiving_org=a_receiving_branch())


def test_a_secretary_requests_transfers_only_for_their_own_branch() -> None:
    assert decide(a_registered_member(), request_transfer(actor=SECRETARY), receiving_org=a_receiving_branch())
    with pytest.raises(Forbidden):
        decide(a_registered_member(), request_transfer(actor=RECEIVING_SECRETARY),
                       receiving_org=a_receiving_branch())


# --- Approval and the letter -----------------------------------------------------------------------------

@pytest.mark.parametrize("month", ["0000-01", "9999-12", "\u0662\u0660\u0662\u0666-12", "2026-13", "2026-7"])
def test_dues_paid_up_to_is_a_month_of_the_one_reading(month: str) -> None:
    with pytest.raises(DomainError, match="dues_paid_up_to must be a year and month like 2026-07"):
        decide(a_member_with_a_request(), approve_transfer(dues_paid_up_to=month))


def test_the_sending_committee_issues_a_letter_valid_for_ninety_days_by_default() -> None:
    (event,) = decide(a_member_with_a_request(), approve_transfer())
    assert isinstance(event, TransferLetterIssued)
    assert event.valid_until == date(2027, 3, 1) == VALID_UNTIL
    assert (event.letter_number, event.dues_paid_up_to, event.channel.value) == (
        "ZZ-2026-0101", "2026-12", "national_online")
    assert (event.actor, event.approving_org_id, event.policy_version) == (
        "township_committee:t@township-a", "township-a", "mobility-2026.1")


def test_the_letter_validity_is_a_policy_setting() -> None:
    thirty = replace(DEFAULT_MOBILITY_POLICY, version="mobility-test", letter_validity_days=30)
    (event,) = decide(a_member_with_a_request(), approve_transfer(), policy=thirty)
    assert isinstance(event, TransferLetterIssued)
    assert event.valid_until == ISSUED_ON + timedelta(days=30)
    assert event.policy_version == "mobility-test"


@pytest.mark.parametrize("actor", [SECRETARY, MEMBER_SELF, RECEIVING_SECRETARY])
def test_only_a_township_or_county_committee_approves_a_transfer_out(actor: Actor) -> None:
    with pytest.raises(Forbidden, match="township or county committee"):
        decide(a_member_with_a_request(), approve_transfer(actor=actor))


@pytest.mark.parametrize("month", ["2026-13", "2026/07", "26-07", "July"])
def test_dues_paid_up_to_is_a_year_and_month(month: str) -> None:
    with pytest.raises(DomainError, match="like 2026-07"):
        decide(a_member_with_a_request(), approve_transfer(dues_paid_up_to=month))


def test_a_letter_cannot_be_dated_before_the_request() -> None:
    with pytest.raises(DomainError, match="before the request"):
        decide(a_member_with_a_request(), approve_transfer(issued_on=ISSUED_ON - timedelta(days=1)))


def test_a_transfer_gets_one_letter_and_a_lost_one_is_reissued_instead() -> None:
    with pytest.raises(StateConflict, match="re-issue"):
        decide(a_member_with_a_letter_out(), approve_transfer(letter_number="ZZ-2026-0999"))


def test_a_transfer_not_requested_cannot_be_approved() -> None:
    with pytest.raises(StateConflict, match="no transfer in progress"):
        decide(a_registered_member(), approve_transfer())


# --- Receipt -------------------------------------------------------------------------------------------

def test_the_sender_stays_responsible_until_the_member_is_received() -> None:
    assert a_member_with_a_request().formal_org_id == BRANCH_ID
    out = a_member_with_a_letter_out()
    assert out.formal_org_id == BRANCH_ID
    assert members.may_vote_in(out, BRANCH_ID) and not members.may_vote_in(out, RECEIVING_ID)
    (event,) = decide(out, receive_transfer())
    assert isinstance(event, TransferReceived)
    received = members.evolve(out, event)
    assert received.formal_org_id == RECEIVING_ID and received.transfer is None
    assert members.may_vote_in(received, RECEIVING_ID) and not members.may_vote_in(received, BRANCH_ID)
    assert event.receiving_org_id == RECEIVING_ID and event.actor == "branch_secretary:sec2@b-2"


def test_a_letter_received_on_its_last_valid_day_is_accepted() -> None:
    last_day = receive_transfer(received_on=VALID_UNTIL, today=VALID_UNTIL)
    (event,) = decide(a_member_with_a_letter_out(), last_day)
    assert isinstance(event, TransferReceived)


def test_a_letter_cannot_be_received_the_day_after_it_expires() -> None:
    day_after = VALID_UNTIL + timedelta(days=1)
    with pytest.raises(DomainError, match=r"valid until 2027-03-01.*re-issue"):
        decide(a_member_with_a_letter_out(), receive_transfer(received_on=day_after, today=day_after))


def test_a_letter_received_in_time_but_recorded_after_the_engine_expired_it_is_accepted() -> None:
    expired = run(a_member_with_a_letter_out(), expire_letter())
    late_record = receive_transfer(received_on=VALID_UNTIL, today=VALID_UNTIL + timedelta(days=3))
    assert decide(expired, late_record)


def test_a_letter_cannot_be_received_twice() -> None:
    received = run(a_member_with_a_letter_out(), receive_transfer())
    with pytest.raises(StateConflict, match="already received on 2026-12-10 by b-2"):
        decide(received, receive_transfer())


def test_only_the_receiving_organisation_receives_the_member() -> None:
    with pytest.raises(Forbidden, match="only the receiving organisation b-2"):
        decide(a_member_with_a_letter_out(), receive_transfer(actor=SECRETARY))
    assert decide(a_member_with_a_letter_out(), receive_transfer(actor=TOWNSHIP))


def test_a_member_cannot_be_received_before_the_letter_is_issued() -> None:
    with pytest.raises(StateConflict, match="no letter has been issued"):
        decide(a_member_with_a_request(), receive_transfer())


def test_a_letter_of_another_number_is_not_received() -> None:
    with pytest.raises(StateConflict, match="the letter number does not match the letter issued for") as refused:
        decide(a_member_with_a_letter_out(), receive_transfer(letter_number="XX-1 Jane Doe"))
    # Problem details are logged: the caller's unchecked value is not repeated, nor the letter's real number.
    assert "XX-1" not in str(refused.value) and "ZZ-2026-0101" not in str(refused.value)


def test_receiving_a_member_away_ends_the_outflow_and_closes_the_certificate() -> None:
    holder = run(a_member_away(), issue_certificate())
    state = run(holder, request_transfer(), approve_transfer(), receiving_org=a_receiving_branch())
    (event,) = decide(state, receive_transfer())
    assert isinstance(event, TransferReceived) and event.certificate_closed == "LD-2026-007"
    settled = members.evolve(state, event)
    assert settled.away is None and settled.certificate is None


# --- Receipt (回执) ---------------------------------------------------------------------------------------

def test_the_final_receiving_committee_returns_the_receipt_once() -> None:
    received = run(a_member_with_a_letter_out(), receive_transfer())
    (event,) = decide(received, return_receipt())
    assert isinstance(event, ReceiptReturned)
    assert (event.from_org_id, event.to_org_id, event.returning_org_id) == (BRANCH_ID, RECEIVING_ID, "township-a")
    done = members.evolve(received, event)
    with pytest.raises(StateConflict, match="already returned on 2026-12-12"):
        decide(done, return_receipt())


def test_the_receipt_comes_from_a_committee_not_a_branch_secretary() -> None:
    received = run(a_member_with_a_letter_out(), receive_transfer())
    with pytest.raises(Forbidden, match="return the receipt"):
        decide(received, return_receipt(actor=RECEIVING_SECRETARY))


def test_no_receipt_is_returned_before_the_member_is_received() -> None:
    with pytest.raises(StateConflict, match="has not been received"):
        decide(a_member_with_a_letter_out(), return_receipt())


# --- Re-issue, expiry and cancellation -------------------------------------------------------------------

def test_a_reissued_letter_has_a_new_number_and_validity_and_voids_the_old_one() -> None:
    (event,) = decide(a_member_with_a_letter_out(), reissue_letter())
    assert isinstance(event, TransferLetterReissued)
    assert (event.void_letter_number, event.letter_number) == ("ZZ-2026-0101", "ZZ-2027-0003")
    assert event.valid_until == date(2027, 1, 5) + timedelta(days=90)
    assert event.reissuing_org_id == "township-a"
    reissued = members.evolve(a_member_with_a_letter_out(), event)
    with pytest.raises(StateConflict, match="that letter is void; it was re-issued as ZZ-2027-0003"):
        decide(reissued, receive_transfer(today=date(2027, 1, 6), received_on=date(2027, 1, 6)))
    assert decide(reissued, receive_transfer(letter_number="ZZ-2027-0003", today=date(2027, 1, 6),
                                                     received_on=date(2027, 1, 6)))


def test_a_reissued_letter_never_reuses_a_number() -> None:
    with pytest.raises(AlreadyExists, match="ZZ-2026-0101 was already used"):
        decide(a_member_with_a_letter_out(), reissue_letter(letter_number="ZZ-2026-0101"))


def test_an_expired_letter_is_reissued_and_the_new_one_received() -> None:
    later = date(2027, 3, 10)
    state = run(a_member_with_a_letter_out(), expire_letter(),
                reissue_letter(today=later, issued_on=later),
                receive_transfer(letter_number="ZZ-2027-0003", today=later, received_on=later))
    assert state.formal_org_id == RECEIVING_ID


def test_a_letter_is_expired_only_from_the_day_after_its_last_valid_day() -> None:
    with pytest.raises(DomainError, match="expires from the day after"):
        decide(a_member_with_a_letter_out(), expire_letter(today=VALID_UNTIL))
    (event,) = decide(a_member_with_a_letter_out(), expire_letter(today=VALID_UNTIL + timedelta(days=1)))
    assert isinstance(event, TransferExpired) and event.expired_on == date(2027, 3, 2)


def test_a_letter_expires_once_and_the_member_stays_with_the_sender() -> None:
    expired = run(a_member_with_a_letter_out(), expire_letter())
    assert expired.formal_org_id == BRANCH_ID and expired.transfer is not None
    with pytest.raises(StateConflict, match="already expired on 2027-03-02"):
        decide(expired, expire_letter(today=date(2027, 3, 5)))


def test_a_cancelled_request_leaves_the_member_where_they_were_and_allows_a_new_one() -> None:
    (event,) = decide(a_member_with_a_request(), cancel_transfer())
    assert isinstance(event, TransferCancelled) and event.void_letter_number is None
    cancelled = members.evolve(a_member_with_a_request(), event)
    assert cancelled.formal_org_id == BRANCH_ID and cancelled.transfer is None
    assert decide(cancelled, request_transfer(transfer_id="tr-2"), receiving_org=a_receiving_branch())


def test_once_a_letter_is_out_only_the_sending_committee_cancels_and_the_letter_is_void() -> None:
    with pytest.raises(Forbidden, match="township or county committee"):
        decide(a_member_with_a_letter_out(), cancel_transfer())
    (event,) = decide(a_member_with_a_letter_out(), cancel_transfer(actor=TOWNSHIP))
    assert isinstance(event, TransferCancelled) and event.void_letter_number == "ZZ-2026-0101"
    cancelled = members.evolve(a_member_with_a_letter_out(), event)
    with pytest.raises(StateConflict, match="no transfer in progress"):
        decide(cancelled, receive_transfer())


# --- Across the county boundary -------------------------------------------------------------------------

def test_a_transfer_out_of_the_county_makes_the_external_organisation_formal() -> None:
    state = run(an_external_transfer_with_a_letter(), receive_transfer(actor=EXTERNAL_HOST))
    assert state.formal_org_id == EXTERNAL.org_id and state.external_org == EXTERNAL
    assert not state.in_county and state.status is MemberStatus.FULL


def test_an_external_organisation_confirms_only_with_a_token_scoped_to_it() -> None:
    elsewhere = Actor(subject="x", role=Role.HOST_ORGANISATION, org_id="ext-other")
    with pytest.raises(Forbidden):
        decide(an_external_transfer_with_a_letter(), receive_transfer(actor=elsewhere))
    with pytest.raises(Forbidden):
        decide(an_external_transfer_with_a_letter(), receive_transfer(actor=RECEIVING_SECRETARY))
    assert decide(an_external_transfer_with_a_letter(), receive_transfer(actor=TOWNSHIP))


def test_an_external_organisation_returns_its_receipt_through_the_api() -> None:
    state = run(an_external_transfer_with_a_letter(), receive_transfer(actor=EXTERNAL_HOST))
    (event,) = decide(state, return_receipt(actor=EXTERNAL_HOST))
    assert isinstance(event, ReceiptReturned) and event.returning_org_id == EXTERNAL.org_id


def test_a_member_who_left_the_county_is_no_longer_managed_here() -> None:
    gone = run(an_external_transfer_with_a_letter(), receive_transfer(actor=EXTERNAL_HOST))
    with pytest.raises(StateConflict, match="outside the county"):
        decide(gone, issue_certificate())


def test_an_inflow_member_transfers_into_the_county() -> None:
    arrived = run(members.INITIAL, register_inflow(), host_org=an_established_branch())
    assert arrived.formal_org_id == EXTERNAL.org_id
    # The sending organisation is the external one: it approves through its scoped token.
    with pytest.raises(Forbidden):
        decide(run(arrived, request_transfer(member_id="m-9", actor=SECRETARY, to_org_id=BRANCH_ID),
                           receiving_org=a_receiving_branch()),
                       approve_transfer(member_id="m-9", actor=SECRETARY))
    state = run(arrived, request_transfer(member_id="m-9", actor=SECRETARY, to_org_id=BRANCH_ID),
                approve_transfer(member_id="m-9", actor=EXTERNAL_HOST),
                receive_transfer(member_id="m-9", actor=SECRETARY),
                receiving_org=a_receiving_branch())
    assert state.formal_org_id == BRANCH_ID and state.in_county and state.away is None


# --- Deadlines ------------------------------------------------------------------------------------------

def _kinds(state: members.Member, on: date) -> dict[str, bool]:
    return {item.kind: item.overdue for item in transfers.due_items(state, on)}


def test_the_letter_alarm_is_raised_on_its_last_valid_day_and_overdue_the_day_after() -> None:
    out = a_member_with_a_letter_out()
    assert "transfer_letter_expiring" not in _kinds(out, VALID_UNTIL - timedelta(days=1))
    assert _kinds(out, VALID_UNTIL)["transfer_letter_expiring"] is False
    assert _kinds(out, VALID_UNTIL + timedelta(days=1))["transfer_letter_expiring"] is True


def test_the_letter_alarm_may_be_raised_earlier_by_policy() -> None:
    early = replace(DEFAULT_MOBILITY_POLICY, letter_alarm_days_before=10)
    items = transfers.due_items(a_member_with_a_letter_out(), VALID_UNTIL - timedelta(days=10), early)
    assert [(i.kind, i.due_on, i.overdue) for i in items] == [("transfer_letter_expiring", VALID_UNTIL, False)]


def test_the_lapse_review_falls_six_months_after_the_first_letter_even_if_reissued() -> None:
    state = run(a_member_with_a_letter_out(), reissue_letter())
    assert "transfer_lapse_review" not in _kinds(state, date(2027, 5, 31))
    assert _kinds(state, date(2027, 6, 1))["transfer_lapse_review"] is False
    assert _kinds(state, date(2027, 6, 2))["transfer_lapse_review"] is True


def test_an_expired_letter_raises_no_more_alarms_but_the_lapse_review_stays() -> None:
    expired = run(a_member_with_a_letter_out(), expire_letter())
    assert _kinds(expired, date(2027, 6, 1)) == {"transfer_lapse_review": False}


def test_a_received_transfer_owes_nothing() -> None:
    assert transfers.due_items(run(a_member_with_a_letter_out(), receive_transfer()), date(2027, 12, 31)) == []


def test_the_county_deadline_engine_acts_as_county_admin() -> None:
    assert decide(a_member_with_a_letter_out(), expire_letter(actor=ADMIN))
    with pytest.raises(Forbidden):
        decide(a_member_with_a_letter_out(), expire_letter(actor=SECRETARY))



# --- Two time axes: a transfer entered after the day it was made -------------------------------------------

ENTERED = date(2026, 11, 30)
REQUESTED = date(2026, 1, 5)
PAPER_ISSUE = date(2026, 1, 12)


def a_request_entered_later() -> members.Member:
    return run(a_registered_member(),
               request_transfer(today=ENTERED, requested_on=REQUESTED, backdating_reason="paper request"),
               approve_transfer(today=ENTERED, issued_on=PAPER_ISSUE), receiving_org=a_receiving_branch())


def test_a_request_carries_the_day_it_was_made_not_the_day_it_is_entered() -> None:
    (event,) = decide(a_registered_member(), request_transfer(today=ENTERED, requested_on=REQUESTED),
                      receiving_org=a_receiving_branch())
    assert event.requested_on == REQUESTED


def test_a_request_without_its_day_is_dated_the_day_it_is_entered() -> None:
    (event,) = decide(a_registered_member(), request_transfer(today=ENTERED), receiving_org=a_receiving_branch())
    assert event.requested_on == ENTERED


def test_a_letter_cannot_be_dated_before_the_request_it_answers() -> None:
    state = run(a_registered_member(), request_transfer(today=ENTERED, requested_on=REQUESTED),
                receiving_org=a_receiving_branch())
    with pytest.raises(DomainError, match="before the request"):
        decide(state, approve_transfer(today=ENTERED, issued_on=REQUESTED - timedelta(days=1)))


@given(st.integers(min_value=1, max_value=400))
def test_the_letters_validity_comes_from_the_policy_in_force_on_its_issue_day(days: int) -> None:
    older = MobilityPolicy(version="m-old", effective_from=date(2000, 1, 1), letter_validity_days=days)
    newer = MobilityPolicy(version="m-new", effective_from=PAPER_ISSUE + timedelta(days=1), letter_validity_days=30)
    state = run(a_registered_member(), request_transfer(today=ENTERED, requested_on=REQUESTED),
                receiving_org=a_receiving_branch())
    (letter,) = decide(state, approve_transfer(today=ENTERED, issued_on=PAPER_ISSUE),
                       policy=mobility_policy_on(PAPER_ISSUE, (older, newer)))
    assert (letter.valid_until, letter.policy_version) == (PAPER_ISSUE + timedelta(days=days), "m-old")


def test_a_letter_entered_later_is_valid_for_the_policy_period_from_its_issue() -> None:
    (letter,) = decide(run(a_registered_member(),
                           request_transfer(today=ENTERED, requested_on=REQUESTED), receiving_org=a_receiving_branch()),
                       approve_transfer(today=ENTERED, issued_on=PAPER_ISSUE))
    assert letter.valid_until == PAPER_ISSUE + timedelta(days=DEFAULT_MOBILITY_POLICY.letter_validity_days)


@given(st.integers(min_value=0, max_value=DEFAULT_MOBILITY_POLICY.letter_validity_days))
def test_a_letter_entered_later_is_accepted_up_to_its_last_valid_day(days: int) -> None:
    state = a_request_entered_later()
    (received,) = decide(state, receive_transfer(today=ENTERED, received_on=PAPER_ISSUE + timedelta(days=days)))
    assert received.to_org_id == RECEIVING_ID


@given(st.integers(min_value=1, max_value=200))
def test_a_letter_entered_later_and_received_after_its_last_valid_day_is_refused_and_the_sender_keeps_the_member(
        days_after: int) -> None:
    state = a_request_entered_later()
    assert state.transfer is not None and state.transfer.letter is not None
    valid_until = state.transfer.letter.valid_until
    received_on = valid_until + timedelta(days=days_after)
    with pytest.raises(DomainError, match=f"valid until {valid_until}"):
        decide(state, receive_transfer(today=max(ENTERED, received_on), received_on=received_on))
    assert state.formal_org_id == BRANCH_ID
