"""Mobile members (B4): certificates or transfers, the cluster rule, voting, contact, reports, inflow and return."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.membership.contract.events.common import MemberStatus
from services.membership.contract.events.mobility import (
    CertificateInspected,
    CertificateIssued,
    CertificateReviewed,
    ContactRecorded,
    InflowRegistered,
    MemberReturned,
    ReportedToHost,
)
from services.membership.domain import branches, members, mobility
from services.membership.policy.mobility import DEFAULT_MOBILITY_POLICY
from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from tests.unit.membership.builders import (
    BRANCH_ID,
    EXTERNAL,
    MEMBER_SELF,
    SECRETARY,
    TODAY,
    TOWNSHIP,
    a_member_away,
    a_registered_member,
    an_established_branch,
    decide,
    issue_certificate,
    record_contact,
    register_inflow,
    register_return,
    report_home,
    report_to_host,
    return_certificate,
    review_certificate,
    run,
)

HOST = Actor(subject="h", role=Role.HOST_ORGANISATION, org_id="host-dg")


def a_holder(**certificate: object) -> members.Member:
    """m-1 away in Dongguan since 2026-10-01 for 3 months, holding certificate LD-2026-007 issued on TODAY."""
    return run(a_member_away(), issue_certificate(**certificate))


def an_inflow_member() -> members.Member:
    return run(members.INITIAL, register_inflow(), host_org=an_established_branch())


# --- Issuing a certificate ------------------------------------------------------------------------------

def test_the_township_committee_issues_and_registers_a_certificate() -> None:
    (event,) = decide(a_member_away(), issue_certificate())
    assert isinstance(event, CertificateIssued)
    assert (event.certificate_number, event.issued_on, event.reason, event.destination, event.period_months) == (
        "LD-2026-007", TODAY, "seasonal factory work", "Dongguan", 3)
    assert event.valid_until == date(2027, 2, 24)
    assert (event.issuing_org_id, event.actor, event.policy_version) == (
        "township-a", "township_committee:t@township-a", "mobility-2026.1")


@pytest.mark.parametrize("actor", [SECRETARY, MEMBER_SELF, HOST])
def test_only_the_township_or_county_committee_issues_certificates(actor: Actor) -> None:
    with pytest.raises(Forbidden, match="township or county committee"):
        decide(a_member_away(), issue_certificate(actor=actor))


def test_a_certificate_follows_the_registered_outflow() -> None:
    with pytest.raises(StateConflict, match="register the outflow first"):
        decide(a_registered_member(), issue_certificate())


def test_five_months_at_a_fixed_place_gets_a_certificate() -> None:
    (event,) = decide(a_member_away(expected_months=5), issue_certificate(period_months=5))
    assert isinstance(event, CertificateIssued) and not event.transfer_impossible


def test_six_months_at_a_fixed_place_calls_for_a_transfer_not_a_certificate() -> None:
    with pytest.raises(DomainError, match=r"calls for a transfer.*RequestTransfer"):
        decide(a_member_away(expected_months=6), issue_certificate(period_months=3))
    with pytest.raises(DomainError, match="a stay of 6 months"):
        decide(a_member_away(expected_months=3), issue_certificate(period_months=6))


def test_a_long_stay_gets_a_certificate_when_a_transfer_is_not_yet_possible_and_says_why() -> None:
    impossible = issue_certificate(period_months=6, transfer_impossible=True,
                                   transfer_impossible_reason="the employer has no Party organisation yet")
    (event,) = decide(a_member_away(expected_months=12), impossible)
    assert isinstance(event, CertificateIssued) and event.transfer_impossible
    assert event.transfer_impossible_reason == "the employer has no Party organisation yet"
    with pytest.raises(DomainError, match="say why"):
        decide(a_member_away(expected_months=12), replace(impossible, transfer_impossible_reason=" "))


def test_without_a_fixed_place_a_certificate_runs_at_most_six_months() -> None:
    roaming = a_member_away(expected_months=12, fixed_place=False)
    assert decide(roaming, issue_certificate(period_months=6))
    with pytest.raises(DomainError, match="at most 6 months"):
        decide(roaming, issue_certificate(period_months=7))


def test_a_member_holds_one_certificate_at_a_time_and_numbers_are_not_reused() -> None:
    with pytest.raises(StateConflict, match="already holds certificate LD-2026-007"):
        decide(a_holder(), issue_certificate(certificate_number="LD-2026-008"))
    inspected = run(a_holder(), return_certificate())
    with pytest.raises(AlreadyExists, match="LD-2026-007 was already used"):
        decide(inspected, issue_certificate(today=date(2027, 2, 25), issued_on=date(2027, 2, 25)))


def test_three_members_going_to_one_place_flag_a_branch_on_the_certificate() -> None:
    (three,) = decide(a_member_away(), issue_certificate(), members_at_destination=3)
    (two,) = decide(a_member_away(), issue_certificate(), members_at_destination=2)
    assert isinstance(three, CertificateIssued) and three.branch_advised
    assert isinstance(two, CertificateIssued) and not two.branch_advised


# --- The cluster rule -----------------------------------------------------------------------------------

def test_exactly_three_members_to_one_place_call_for_a_branch_and_two_do_not() -> None:
    going = [("m-1", "Dongguan"), ("m-2", "dongguan "), ("m-3", "Dongguan"), ("m-4", "Suzhou"), ("m-5", "Suzhou")]
    assert mobility.branch_needed(going) == ["Dongguan"]


def test_one_member_counted_twice_does_not_make_a_cluster() -> None:
    assert mobility.branch_needed([("m-1", "Dongguan"), ("m-1", "Dongguan"), ("m-2", "Dongguan")]) == []


def test_the_cluster_threshold_is_a_policy_setting() -> None:
    four = replace(DEFAULT_MOBILITY_POLICY, cluster_branch_threshold=4)
    assert mobility.branch_needed([(f"m-{i}", "Dongguan") for i in range(3)], four) == []


@given(st.lists(st.tuples(st.sampled_from(["m-1", "m-2", "m-3", "m-4"]), st.sampled_from(["A", "B", "C"]))))
def test_a_place_is_flagged_exactly_when_three_distinct_members_go_there(going: list[tuple[str, str]]) -> None:
    expected = {place for place in "ABC" if len({m for m, p in going if p == place}) >= 3}
    assert set(mobility.branch_needed(going)) == expected


# --- Voting ---------------------------------------------------------------------------------------------

def test_a_certificate_holder_votes_in_the_formal_organisation_not_at_the_host() -> None:
    holder = run(a_holder(), report_to_host())
    assert members.may_vote_in(holder, BRANCH_ID)
    assert not members.may_vote_in(holder, "host-dg")


def test_a_probationary_member_votes_nowhere() -> None:
    probationary = replace(a_registered_member(), status=MemberStatus.PROBATIONARY)
    assert not members.may_vote_in(probationary, BRANCH_ID)


def test_an_inflow_member_takes_part_at_the_host_but_has_no_vote_there() -> None:
    arrived = an_inflow_member()
    assert arrived.away is not None and arrived.away.host_org_id == BRANCH_ID
    assert not members.may_vote_in(arrived, BRANCH_ID)


# --- Reports and contact --------------------------------------------------------------------------------

def test_a_member_away_reports_to_the_host() -> None:
    (event,) = decide(a_member_away(), report_to_host())
    assert isinstance(event, ReportedToHost) and event.host_org_id == "host-dg"
    assert members.evolve(a_member_away(), event).away.host_org_id == "host-dg"  # type: ignore[union-attr]
    with pytest.raises(StateConflict, match="not registered as away"):
        decide(a_registered_member(), report_to_host())


def test_a_member_reports_only_to_an_organisation_on_record() -> None:
    """Review of 2026-12-02: a report to an organisation that does not exist was taken, and put the member in no
    one's scope but their own."""
    with pytest.raises(NotFound, match="organisation host-nowhere does not exist"):
        decide(a_member_away(), report_to_host(host_org_id="host-nowhere"), host_org=branches.INITIAL)


def test_a_host_records_a_report_only_with_the_certificate_the_member_presented() -> None:
    host = Actor(subject="host-clerk", role=Role.HOST_ORGANISATION, org_id="host-dg")
    with pytest.raises(Forbidden, match="with the activity certificate the member presented"):
        decide(a_member_away(), report_to_host(actor=host))  # no certificate issued
    with pytest.raises(Forbidden, match="give its number in certificate_number"):
        decide(a_holder(), report_to_host(actor=host))
    with pytest.raises(Forbidden, match="give its number in certificate_number"):
        decide(a_holder(), report_to_host(actor=host, certificate_number="LD-2026-008"))
    (event,) = decide(a_holder(), report_to_host(actor=host, certificate_number=" LD-2026-007 "))
    assert isinstance(event, ReportedToHost) and event.host_org_id == "host-dg"
    # Once received, the member is not another host's to take: the member or their branch records a move.
    received = run(a_holder(), report_to_host())
    other = Actor(subject="other-clerk", role=Role.HOST_ORGANISATION, org_id="host-sz")
    with pytest.raises(Forbidden, match="reported to another host organisation"):
        decide(received, report_to_host(actor=other, host_org_id="host-sz", certificate_number="LD-2026-007"))
    for actor in (MEMBER_SELF, SECRETARY):
        (moved,) = decide(received, report_to_host(actor=actor, host_org_id="host-sz"))
        assert isinstance(moved, ReportedToHost) and moved.host_org_id == "host-sz"


def test_contact_is_recorded_by_the_member_their_secretary_or_their_host() -> None:
    hosted = run(a_member_away(), report_to_host())
    for actor in (MEMBER_SELF, SECRETARY, HOST, TOWNSHIP):
        (event,) = decide(hosted, record_contact(actor=actor))
        assert isinstance(event, ContactRecorded) and event.channel.value == "phone"
    assert run(hosted, record_contact()).last_contact_on == date(2027, 1, 10)
    with pytest.raises(Forbidden):
        decide(hosted, record_contact(actor=Actor(subject="m-2", role=Role.MEMBER)))
    with pytest.raises(Forbidden):
        decide(hosted, record_contact(actor=Actor(subject="h2", role=Role.HOST_ORGANISATION, org_id="x")))


def test_a_contact_cannot_be_recorded_in_the_future() -> None:
    with pytest.raises(DomainError, match="in the future"):
        decide(a_member_away(), record_contact(contacted_on=date(2027, 1, 11)))


def _due(state: members.Member, on: date, **policy: object) -> dict[str, bool]:
    return {i.kind: i.overdue for i in mobility.due_items(state, on, replace(DEFAULT_MOBILITY_POLICY, **policy))}


def test_the_yearly_report_is_due_a_year_after_leaving_and_again_a_year_after_each_report() -> None:
    away = a_member_away()  # left on 2026-10-01
    assert "home_report_due" not in _due(away, date(2027, 9, 30))
    assert _due(away, date(2027, 10, 1))["home_report_due"] is False
    assert _due(away, date(2027, 10, 2))["home_report_due"] is True
    reported = run(away, report_home())
    assert "home_report_due" not in _due(reported, date(2028, 8, 31))
    assert _due(reported, date(2028, 9, 1))["home_report_due"] is False


def test_only_a_member_away_reports_to_the_home_organisation() -> None:
    with pytest.raises(StateConflict, match="only a member away"):
        decide(a_registered_member(), report_home())


# --- Certificate review and return ----------------------------------------------------------------------

def test_the_annual_certificate_review_is_due_a_year_after_issue_when_the_local_rule_is_on() -> None:
    holder = a_holder()  # issued on 2026-11-24
    assert "certificate_review_due" not in _due(holder, date(2027, 11, 23))
    assert _due(holder, date(2027, 11, 24))["certificate_review_due"] is False
    assert "certificate_review_due" not in _due(holder, date(2027, 11, 24), certificate_annual_review=False)


def test_a_review_moves_the_next_review_a_year_on() -> None:
    (event,) = decide(a_holder(), review_certificate())
    assert isinstance(event, CertificateReviewed) and event.next_review_due == date(2028, 1, 5)
    assert event.reviewing_org_id == "township-a"
    reviewed = members.evolve(a_holder(), event)
    assert "certificate_review_due" not in _due(reviewed, date(2028, 1, 4))
    with pytest.raises(Forbidden):
        decide(a_holder(), review_certificate(actor=SECRETARY))


def test_the_certificate_is_due_back_on_its_last_valid_day() -> None:
    holder = a_holder()  # valid until 2027-02-24
    assert "certificate_return_due" not in _due(holder, date(2027, 2, 23))
    assert _due(holder, date(2027, 2, 24))["certificate_return_due"] is False
    assert _due(holder, date(2027, 2, 25))["certificate_return_due"] is True


def test_a_returned_certificate_is_inspected_and_closed() -> None:
    (event,) = decide(a_holder(), return_certificate())
    assert isinstance(event, CertificateInspected) and event.returned
    assert members.evolve(a_holder(), event).certificate is None
    with pytest.raises(StateConflict, match="not LD-1"):
        decide(a_holder(), return_certificate(certificate_number="LD-1"))


# --- Return ---------------------------------------------------------------------------------------------

def test_a_member_coming_back_hands_the_certificate_in_for_inspection() -> None:
    returned, inspected = decide(a_holder(), register_return())
    assert isinstance(returned, MemberReturned) and isinstance(inspected, CertificateInspected)
    assert inspected.inspected_on == date(2027, 2, 10) and inspected.returned
    home = run(a_holder(), register_return())
    assert home.away is None and home.certificate is None and mobility.due_items(home, date(2030, 1, 1)) == []


def test_a_certificate_not_handed_back_is_recorded_as_such() -> None:
    _, inspected = decide(a_holder(), register_return(certificate_returned=False, findings="lost"))
    assert isinstance(inspected, CertificateInspected) and not inspected.returned


def test_a_member_without_a_certificate_simply_returns() -> None:
    (event,) = decide(a_member_away(), register_return())
    assert isinstance(event, MemberReturned)
    with pytest.raises(StateConflict, match="no return to register"):
        decide(a_registered_member(), register_return())


def test_a_return_cannot_precede_leaving() -> None:
    with pytest.raises(DomainError, match="before leaving"):
        decide(a_member_away(), register_return(returned_on=date(2026, 9, 30)))


# --- Inflow ---------------------------------------------------------------------------------------------

def test_a_member_from_elsewhere_is_registered_at_the_host_with_their_formal_organisation_outside() -> None:
    (event,) = decide(members.INITIAL, register_inflow(), host_org=an_established_branch())
    assert isinstance(event, InflowRegistered) and not event.certificate_expired
    arrived = members.evolve(members.INITIAL, event)
    assert arrived.formal_org_id == EXTERNAL.org_id and arrived.external_org == EXTERNAL and not arrived.in_county
    assert members.due_items(arrived, date(2030, 1, 1)) == []


def test_the_host_never_refuses_an_out_of_date_certificate_but_records_it() -> None:
    stale = register_inflow(certificate_valid_until=date(2026, 11, 23))
    (event,) = decide(members.INITIAL, stale, host_org=an_established_branch())
    assert isinstance(event, InflowRegistered) and event.certificate_expired


def test_an_inflow_needs_an_existing_host_in_the_secretary_scope() -> None:
    with pytest.raises(NotFound, match="host organisation b-1"):
        decide(members.INITIAL, register_inflow(), host_org=branches.INITIAL)
    other = Actor(subject="s2", role=Role.BRANCH_SECRETARY, org_id="b-2")
    with pytest.raises(Forbidden):
        decide(members.INITIAL, register_inflow(actor=other), host_org=an_established_branch())


def test_an_inflow_member_going_home_is_recorded_by_the_host() -> None:
    home = run(an_inflow_member(), register_return(member_id="m-9"))
    assert home.away is None and home.formal_org_id == EXTERNAL.org_id


def test_the_host_does_not_inspect_a_certificate_issued_elsewhere() -> None:
    with pytest.raises(StateConflict, match="issued by Chang'an Town Committee"):
        decide(an_inflow_member(),
                       return_certificate(member_id="m-9", certificate_number="GD-2026-0042", actor=TOWNSHIP))
