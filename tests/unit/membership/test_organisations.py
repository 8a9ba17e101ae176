"""The Party tree, committee or secretary by size, higher approval of the secretary, and terms (B1)."""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.events import EventRegistry
from services.membership.contract.commands.branches import AdvanceElection, ApproveSecretary, PostponeElection
from services.membership.contract.events import FoundingBasis
from services.membership.contract.events import branches as branch_events
from services.membership.contract.events.branches import (
    CommitteeDuty,
    CommitteeElected,
    CommitteeSeat,
    ElectionAdvanced,
    ElectionPostponed,
    OrganisationEstablished,
    OrgKind,
    SecretaryApproved,
    SecretaryElected,
)
from services.membership.domain import branches
from services.membership.domain.branches import Organisation
from services.membership.policy.organisation import DEFAULT_ORGANISATION_POLICY
from services.pure.dates import add_months
from services.pure.due import DueItem
from services.pure.errors import DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from tests.unit.membership.builders import (
    SECRETARY,
    TODAY,
    TOWNSHIP,
    TOWNSHIP_ID,
    an_established_branch,
    committee_seats,
    elect_committee,
    elect_secretary,
    establish,
    establish_org,
    roster,
)

# --- helpers ---------------------------------------------------------------------------------------


def given_org(kind: OrgKind, org_id: str, parent: Organisation | None = None, **overrides: Any) -> Organisation:
    cmd = establish_org(kind=kind, org_id=org_id, parent_id=parent.org_id if parent else None, **overrides)
    (event,) = branches.decide(branches.INITIAL, cmd, parent=parent)
    return branches.evolve(branches.INITIAL, event)


def a_township() -> Organisation:
    county = given_org(OrgKind.COUNTY_COMMITTEE, "county", approval_authority=True)
    return given_org(OrgKind.TOWNSHIP_COMMITTEE, TOWNSHIP_ID, county, approval_authority=True)


def elected(state: Organisation, cmd: Any, full: int = 9) -> Organisation:
    (event,) = branches.decide(state, cmd, full_member_ids=roster(full))
    return branches.evolve(state, event)


def with_committee() -> Organisation:
    """The outstation branch b-1 (home township-a) with a 3-seat committee elected on 2026-04-01."""
    return elected(an_established_branch(), elect_committee())


def approve(**overrides: Any) -> ApproveSecretary:
    cmd = ApproveSecretary(actor=TOWNSHIP, today=TODAY, org_id="b-1", secretary_id="m-1",
                           approved_on=date(2026, 4, 20), approving_org_id=TOWNSHIP_ID)
    return replace(cmd, **overrides)


def postpone(new_due_on: date, **overrides: Any) -> PostponeElection:
    cmd = PostponeElection(actor=TOWNSHIP, today=TODAY, org_id="b-1", new_due_on=new_due_on,
                           approved_on=date(2026, 6, 1), approving_org_id=TOWNSHIP_ID, reason="spring migration")
    return replace(cmd, **overrides)


def advance(new_due_on: date, **overrides: Any) -> AdvanceElection:
    cmd = AdvanceElection(actor=TOWNSHIP, today=TODAY, org_id="b-1", new_due_on=new_due_on,
                          approved_on=date(2026, 6, 1), approving_org_id=TOWNSHIP_ID, reason="merger")
    return replace(cmd, **overrides)


# --- The tree (D1) ---------------------------------------------------------------------------------


def test_a_county_committee_is_the_root_and_a_township_committee_sits_under_it() -> None:
    township = a_township()
    assert township.kind is OrgKind.TOWNSHIP_COMMITTEE and township.parent_id == "county"
    assert branches.may_approve_admission(township)
    with pytest.raises(DomainError, match="root of the tree"):
        branches.decide(branches.INITIAL, establish_org(kind=OrgKind.COUNTY_COMMITTEE, parent_id="province"))


def test_an_organisation_records_who_established_it_and_the_approving_organisation() -> None:
    (event,) = branches.decide(branches.INITIAL, establish_org(founding_members=3), parent=a_township())
    assert isinstance(event, OrganisationEstablished)
    assert event.actor == "county_admin:admin" and event.approving_org_id == TOWNSHIP_ID
    assert event.policy_version == DEFAULT_ORGANISATION_POLICY.version


def test_an_organisation_needs_an_existing_parent_of_an_allowed_kind() -> None:
    with pytest.raises(DomainError, match="needs a parent_id"):
        branches.decide(branches.INITIAL, establish_org(parent_id=None))
    with pytest.raises(NotFound, match="establish it first"):
        branches.decide(branches.INITIAL, establish_org(), parent=None)
    county = given_org(OrgKind.COUNTY_COMMITTEE, "county")
    with pytest.raises(DomainError, match="sits under a county_committee, not under a township"):
        branches.decide(branches.INITIAL, establish_org(kind=OrgKind.TOWNSHIP_COMMITTEE, parent_id="county"),
                        parent=replace(county, kind=OrgKind.TOWNSHIP_COMMITTEE))


def test_a_party_group_sits_under_a_branch_not_under_a_committee() -> None:
    branch = given_org(OrgKind.BRANCH, "org-1", a_township())
    group = given_org(OrgKind.PARTY_GROUP, "grp-1", branch)
    assert group.parent_id == "org-1"
    with pytest.raises(DomainError, match="party_group sits under a branch or temporary_branch"):
        branches.decide(branches.INITIAL, establish_org(kind=OrgKind.PARTY_GROUP), parent=a_township())


def test_only_committees_hold_approval_authority() -> None:
    with pytest.raises(DomainError, match="only county and township"):
        branches.decide(branches.INITIAL, establish_org(approval_authority=True), parent=a_township())
    assert not branches.may_approve_admission(given_org(OrgKind.BRANCH, "org-1", a_township()))


def test_a_township_committee_establishes_organisations_under_itself_only() -> None:
    township = a_township()
    assert branches.decide(branches.INITIAL, establish_org(actor=TOWNSHIP), parent=township)
    other = Actor(subject="o", role=Role.TOWNSHIP_COMMITTEE, org_id="township-b")
    with pytest.raises(Forbidden, match="township-b cannot establish"):
        branches.decide(branches.INITIAL, establish_org(actor=other), parent=township)
    with pytest.raises(Forbidden, match="only county_admin"):
        branches.decide(branches.INITIAL, establish_org(actor=TOWNSHIP, kind=OrgKind.TOWNSHIP_COMMITTEE))


def test_a_branch_secretary_sets_up_party_groups_of_their_own_branch_only() -> None:
    branch = replace(given_org(OrgKind.BRANCH, "b-1", a_township()))
    assert branches.decide(branches.INITIAL, establish_org(actor=SECRETARY, kind=OrgKind.PARTY_GROUP,
                                                           parent_id="b-1"), parent=branch)
    with pytest.raises(Forbidden, match="branch_secretary cannot establish a branch"):
        branches.decide(branches.INITIAL, establish_org(actor=SECRETARY, parent_id="b-1"), parent=branch)


def test_a_branch_founded_with_fewer_than_three_full_members_is_refused() -> None:
    assert branches.decide(branches.INITIAL, establish_org(founding_members=3), parent=a_township())
    with pytest.raises(DomainError, match="at least 3 full members"):
        branches.decide(branches.INITIAL, establish_org(founding_members=2), parent=a_township())


def test_a_temporary_branch_needs_three_members_and_a_base_committee() -> None:
    cmd = establish_org(kind=OrgKind.TEMPORARY_BRANCH, founding_members=3)
    (event,) = branches.decide(branches.INITIAL, cmd, parent=a_township())
    assert isinstance(event, OrganisationEstablished) and event.approving_org_id == TOWNSHIP_ID
    with pytest.raises(DomainError, match="at least 3 members"):
        branches.decide(branches.INITIAL, replace(cmd, founding_members=2), parent=a_township())
    general = given_org(OrgKind.GENERAL_BRANCH, "gb-1", a_township())
    with pytest.raises(DomainError, match="sits under a county_committee or township_committee"):
        branches.decide(branches.INITIAL, replace(cmd, parent_id="gb-1"), parent=general)


def test_a_temporary_branch_never_admits_members() -> None:
    temporary = given_org(OrgKind.TEMPORARY_BRANCH, "tmp-1", a_township(), founding_members=4)
    assert not branches.may_admit(temporary)
    assert branches.may_admit(given_org(OrgKind.BRANCH, "org-1", a_township()))


def test_a_joint_branch_in_the_tree_covers_two_to_five_units() -> None:
    from services.membership.contract.events import BuildMode

    five = tuple(f"unit {i}" for i in range(5))
    cmd = establish_org(build_mode=BuildMode.JOINT, covered_units=five)
    assert branches.decide(branches.INITIAL, cmd, parent=a_township())
    with pytest.raises(DomainError, match="at most 5 units"):
        branches.decide(branches.INITIAL, replace(cmd, covered_units=(*five, "unit 5")), parent=a_township())
    with pytest.raises(DomainError, match="only a branch is built jointly"):
        branches.decide(branches.INITIAL, replace(cmd, kind=OrgKind.GENERAL_BRANCH), parent=a_township())


# --- Committee or secretary by size (B1) ------------------------------------------------------------


def test_seven_full_members_elect_a_committee_and_six_do_not() -> None:
    branch = an_established_branch()
    (event,) = branches.decide(branch, elect_committee(), full_member_ids=roster(7))
    assert isinstance(event, CommitteeElected) and event.secretary_id == "m-1" and event.full_members == 7
    with pytest.raises(DomainError, match="at least 7 full members; this organisation has 6 — elect a secretary"):
        branches.decide(branch, elect_committee(), full_member_ids=roster(6))


def test_six_full_members_elect_a_secretary_and_seven_do_not() -> None:
    branch = an_established_branch()
    (event,) = branches.decide(branch, elect_secretary(deputy_secretary_id="m-2"), full_member_ids=roster(6))
    assert isinstance(event, SecretaryElected) and event.deputy_secretary_id == "m-2"
    with pytest.raises(DomainError, match="7 or more full members elects a committee"):
        branches.decide(branch, elect_secretary(), full_member_ids=roster(7))


def test_a_branch_of_two_full_members_cannot_elect_a_secretary() -> None:
    with pytest.raises(DomainError, match=r"at least 3 full members.*has 2"):
        branches.decide(an_established_branch(), elect_secretary(), full_member_ids=roster(2))


@pytest.mark.parametrize(("seats", "warned"), [(3, False), (5, False), (6, True), (7, True)])
def test_a_committee_has_three_to_five_seats_and_six_or_seven_are_warned_about(seats: int, warned: bool) -> None:
    (event,) = branches.decide(an_established_branch(), elect_committee(seats=committee_seats(seats)),
                               full_member_ids=roster(9))
    assert isinstance(event, CommitteeElected) and len(event.seats) == seats
    assert any("above the usual 3–5" in w for w in event.warnings) is warned


@pytest.mark.parametrize(("seats", "message"), [(2, "at least 3 seats; 2 were given"),
                                                (8, "at most 7 seats .*8 were given")])
def test_a_committee_of_two_or_eight_seats_is_refused(seats: int, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        branches.decide(an_established_branch(), elect_committee(seats=committee_seats(seats)),
                        full_member_ids=roster(9))


@pytest.mark.parametrize(("seats", "message"), [
    ((CommitteeSeat(member_id="m-1", duties=(CommitteeDuty.SECRETARY,)),
      CommitteeSeat(member_id="m-2", duties=(CommitteeDuty.SECRETARY, CommitteeDuty.ORGANISATION)),
      CommitteeSeat(member_id="m-3", duties=(CommitteeDuty.PROPAGANDA, CommitteeDuty.DISCIPLINE))),
     "exactly one secretary; 2 seats"),
    ((CommitteeSeat(member_id="m-1", duties=(CommitteeDuty.SECRETARY, CommitteeDuty.DEPUTY_SECRETARY)),
      CommitteeSeat(member_id="m-2", duties=(CommitteeDuty.ORGANISATION,)),
      CommitteeSeat(member_id="m-3", duties=(CommitteeDuty.PROPAGANDA, CommitteeDuty.DISCIPLINE))),
     "cannot also be the deputy"),
    ((CommitteeSeat(member_id="m-1", duties=(CommitteeDuty.SECRETARY,)),
      CommitteeSeat(member_id="m-2", duties=(CommitteeDuty.ORGANISATION, CommitteeDuty.DEPUTY_SECRETARY)),
      CommitteeSeat(member_id="m-3", duties=(CommitteeDuty.PROPAGANDA, CommitteeDuty.DEPUTY_SECRETARY))),
     "at most 1 deputy"),
    ((CommitteeSeat(member_id="m-1", duties=(CommitteeDuty.SECRETARY,)),
      CommitteeSeat(member_id="m-2", duties=(CommitteeDuty.ORGANISATION,)),
      CommitteeSeat(member_id="m-3", duties=(CommitteeDuty.PROPAGANDA,))),
     "discipline portfolio is held by exactly one seat; 0"),
])
def test_a_committee_has_one_secretary_at_most_one_deputy_and_each_portfolio_once(
    seats: tuple[CommitteeSeat, ...], message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        branches.decide(an_established_branch(), elect_committee(seats=seats), full_member_ids=roster(9))


def test_a_committee_with_a_deputy_secretary_records_them() -> None:
    seats = (*committee_seats(3), CommitteeSeat(member_id="m-4", duties=(CommitteeDuty.DEPUTY_SECRETARY,)))
    (event,) = branches.decide(an_established_branch(), elect_committee(seats=seats), full_member_ids=roster(9))
    assert isinstance(event, CommitteeElected) and event.deputy_secretary_id == "m-4"


def test_only_full_members_of_the_organisation_can_be_elected() -> None:
    seats = (*committee_seats(2), CommitteeSeat(member_id="outsider", duties=(CommitteeDuty.PROPAGANDA,)))
    with pytest.raises(DomainError, match=r"not full members: outsider .*cultivated for admission"):
        branches.decide(an_established_branch(), elect_committee(seats=seats), full_member_ids=roster(9))
    with pytest.raises(DomainError, match="not full members: m-9"):
        branches.decide(an_established_branch(), elect_secretary(secretary_id="m-9"), full_member_ids=roster(5))


def test_a_member_entrepreneur_may_be_elected_secretary() -> None:
    (event,) = branches.decide(an_established_branch(), elect_secretary(secretary_entrepreneur=True),
                               full_member_ids=roster(5))
    assert isinstance(event, SecretaryElected) and event.secretary_entrepreneur
    seats = (CommitteeSeat(member_id="m-1", duties=(CommitteeDuty.SECRETARY,), entrepreneur=True),
             *committee_seats(3)[1:])
    (event,) = branches.decide(an_established_branch(), elect_committee(seats=seats), full_member_ids=roster(9))
    assert isinstance(event, CommitteeElected) and event.seats[0].entrepreneur


def test_a_branch_of_more_than_fifty_members_is_warned_about() -> None:
    (event,) = branches.decide(an_established_branch(), elect_committee(), full_member_ids=roster(50))
    assert isinstance(event, CommitteeElected) and event.warnings == ()
    (event,) = branches.decide(an_established_branch(), elect_committee(), full_member_ids=roster(50), members=51)
    assert isinstance(event, CommitteeElected) and "51 members" in event.warnings[0]


def test_a_branch_secretary_records_elections_of_their_own_branch_only() -> None:
    other = Actor(subject="x", role=Role.BRANCH_SECRETARY, org_id="b-2")
    with pytest.raises(Forbidden, match="b-2 cannot record elections in b-1"):
        branches.decide(an_established_branch(), elect_secretary(actor=other), full_member_ids=roster(5))


def test_an_election_cannot_predate_the_organisation() -> None:
    with pytest.raises(DomainError, match="before the organisation was established"):
        branches.decide(an_established_branch(), elect_secretary(elected_on=date(2026, 2, 28)),
                        full_member_ids=roster(5))


def test_the_roster_count_must_agree_with_the_ids_the_handler_passes() -> None:
    with pytest.raises(ValueError, match="full_members=8"):
        branches.decide(an_established_branch(), elect_committee(), full_member_ids=roster(9), full_members=8)


# --- Higher approval of the secretary (B1) ---------------------------------------------------------


def test_the_higher_organisation_approves_the_elected_secretary() -> None:
    state = with_committee()
    assert not state.secretary_approved
    (event,) = branches.decide(state, approve())
    assert isinstance(event, SecretaryApproved)
    assert event.approving_org_id == TOWNSHIP_ID and event.actor == "township_committee:t@township-a"
    state = branches.evolve(state, event)
    assert state.secretary_approved
    with pytest.raises(StateConflict, match="already approved"):
        branches.decide(state, approve())


def test_another_township_or_a_secretary_cannot_approve_the_secretary() -> None:
    other = Actor(subject="o", role=Role.TOWNSHIP_COMMITTEE, org_id="township-b")
    with pytest.raises(Forbidden, match="only the higher organisation township-a"):
        branches.decide(with_committee(), approve(actor=other, approving_org_id="township-b"))
    with pytest.raises(Forbidden, match="township_committee"):
        branches.decide(with_committee(), approve(actor=SECRETARY))


def test_only_the_elected_secretary_can_be_approved() -> None:
    with pytest.raises(StateConflict, match="the elected secretary of b-1 is m-1, not m-2"):
        branches.decide(with_committee(), approve(secretary_id="m-2"))
    with pytest.raises(StateConflict, match="not elected a secretary yet"):
        branches.decide(an_established_branch(), approve())


# --- Terms (B1) --------------------------------------------------------------------------------------


def test_a_term_is_due_exactly_three_years_after_the_election() -> None:
    state = with_committee()
    assert state.due_on == date(2029, 4, 1)
    assert branches.due_items(state, date(2028, 12, 31)) == []
    assert branches.due_items(state, date(2029, 1, 1)) == [
        DueItem(kind="election_due", due_on=date(2029, 4, 1), subject_id="b-1", overdue=False)]
    assert not branches.due_items(state, date(2029, 4, 1))[0].overdue
    assert branches.due_items(state, date(2029, 4, 2))[0].overdue


def test_a_village_based_branch_serves_five_year_terms() -> None:
    (event,) = branches.decide(branches.INITIAL, establish(founding_basis=FoundingBasis.VILLAGE),
                               home_org_kind=OrgKind.TOWNSHIP_COMMITTEE)
    village = branches.evolve(branches.INITIAL, event)
    assert elected(village, elect_secretary(), full=5).due_on == date(2031, 4, 1)


def test_an_election_before_the_term_is_due_needs_an_approved_advance() -> None:
    state = with_committee()
    with pytest.raises(StateConflict, match=r"runs until 2029-04-01.*AdvanceElection"):
        branches.decide(state, elect_committee(elected_on=date(2029, 3, 31), today=date(2029, 3, 31)),
                        full_member_ids=roster(9))
    again = elected(state, elect_committee(elected_on=date(2029, 4, 1), today=date(2029, 4, 1)))
    assert again.due_on == date(2032, 4, 1) and not again.secretary_approved


def test_an_election_is_postponed_by_twelve_months_but_not_thirteen() -> None:
    (event,) = branches.decide(with_committee(), postpone(date(2030, 4, 1)))
    assert isinstance(event, ElectionPostponed) and event.regular_due_on == date(2029, 4, 1)
    assert branches.evolve(with_committee(), event).due_on == date(2030, 4, 1)
    with pytest.raises(DomainError, match=r"at most 12 months after .* latest is 2030-04-01"):
        branches.decide(with_committee(), postpone(date(2030, 5, 1)))
    with pytest.raises(DomainError, match="latest is 2030-04-01"):
        branches.decide(with_committee(), postpone(date(2030, 4, 2)))


def test_postponements_add_up_to_at_most_a_year_after_the_regular_due_date() -> None:
    (event,) = branches.decide(with_committee(), postpone(date(2029, 10, 1)))
    state = branches.evolve(with_committee(), event)
    with pytest.raises(DomainError, match="latest is 2030-04-01"):
        branches.decide(state, postpone(date(2030, 9, 1)))


def test_an_election_is_advanced_by_twelve_months_but_not_thirteen() -> None:
    (event,) = branches.decide(with_committee(), advance(date(2028, 4, 1)))
    assert isinstance(event, ElectionAdvanced) and event.new_due_on == date(2028, 4, 1)
    with pytest.raises(DomainError, match="earliest is 2028-04-01"):
        branches.decide(with_committee(), advance(date(2028, 3, 1)))


def test_after_an_approved_advance_the_election_may_be_held_early() -> None:
    (event,) = branches.decide(with_committee(), advance(date(2028, 6, 1)))
    state = branches.evolve(with_committee(), event)
    assert elected(state, elect_committee(elected_on=date(2028, 6, 1), today=date(2028, 6, 1))).elected_on \
        == date(2028, 6, 1)


def test_moving_an_election_needs_a_running_term_a_reason_and_the_right_direction() -> None:
    with pytest.raises(StateConflict, match="no running term"):
        branches.decide(an_established_branch(), postpone(date(2030, 1, 1)))
    with pytest.raises(DomainError, match="reason"):
        branches.decide(with_committee(), postpone(date(2030, 1, 1), reason=" "))
    with pytest.raises(DomainError, match="use AdvanceElection"):
        branches.decide(with_committee(), postpone(date(2029, 3, 1)))
    with pytest.raises(DomainError, match="use PostponeElection"):
        branches.decide(with_committee(), advance(date(2029, 5, 1)))
    with pytest.raises(Forbidden):
        branches.decide(with_committee(), postpone(date(2030, 1, 1), actor=SECRETARY))


@given(st.integers(min_value=-24, max_value=24))
def test_add_months_moves_by_calendar_months_and_clamps_to_the_month_end(months: int) -> None:
    moved = add_months(date(2028, 1, 31), months)
    assert (moved.year * 12 + moved.month) - (2028 * 12 + 1) == months
    assert moved.day == calendar.monthrange(moved.year, moved.month)[1]
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)


# --- Wire format ----------------------------------------------------------------------------------


def test_organisation_events_survive_the_wire_codec() -> None:
    registry: EventRegistry[Any] = EventRegistry(source="/test", events=branch_events.EVENTS)
    state = with_committee()
    events = [
        *branches.decide(branches.INITIAL, establish()),
        *branches.decide(an_established_branch(), elect_committee(seats=committee_seats(5)),
                         full_member_ids=roster(9)),
        *branches.decide(state, approve()),
        *branches.decide(state, postpone(date(2030, 1, 1))),
    ]
    for event in events:
        assert registry.decode(registry.wire_name(event), registry.encode(event)) == event
