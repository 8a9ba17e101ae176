"""Outstation branches: who establishes them, the build-mode rules of B1, twinning, and the targets of A/D4."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.membership.contract.commands.branches import LinkFriendlyCommittee
from services.membership.contract.events import BranchEstablished, BuildMode, FoundingBasis
from services.membership.contract.events.branches import FriendlyCommitteeLinked, OrgKind
from services.membership.domain import branches
from services.membership.domain.targets import OutstationBranchFacts, TargetStatus, targets
from services.membership.policy.organisation import OrganisationPolicy
from services.pure.errors import AlreadyExists, DomainError, Forbidden, StateConflict
from services.pure.identity import Actor, Role
from tests.unit.membership.builders import (
    ADMIN,
    SECRETARY,
    TODAY,
    TOWNSHIP_ID,
    an_established_branch,
    establish,
    establish_org,
)


def test_a_county_administrator_establishes_an_outstation_branch() -> None:
    (event,) = branches.decide(branches.INITIAL, establish())
    assert isinstance(event, BranchEstablished)
    assert event.founding_basis is FoundingBasis.LOCALITY
    assert event.home_org_id == "township-a"
    state = branches.evolve(branches.INITIAL, event)
    assert state.exists and state.name == "Shenzhen Longhua Branch"


@pytest.mark.parametrize("basis", list(FoundingBasis))
def test_every_founding_basis_of_the_decision_is_accepted(basis: FoundingBasis) -> None:
    # The home organisation is a township committee, as a village-based branch requires.
    (event,) = branches.decide(branches.INITIAL, establish(founding_basis=basis),
                               home_org_kind=OrgKind.TOWNSHIP_COMMITTEE)
    assert isinstance(event, BranchEstablished)
    assert event.founding_basis is basis


def test_a_branch_cannot_be_established_twice() -> None:
    with pytest.raises(AlreadyExists):
        branches.decide(an_established_branch(), establish())


def test_a_branch_secretary_cannot_establish_a_branch() -> None:
    with pytest.raises(Forbidden):
        branches.decide(branches.INITIAL, establish(actor=SECRETARY))


def test_a_township_committee_establishes_only_branches_it_manages() -> None:
    township = Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id="township-a")
    assert branches.decide(branches.INITIAL, establish(actor=township))
    with pytest.raises(DomainError, match="home_org_id"):
        branches.decide(branches.INITIAL, establish(actor=township, home_org_id="township-b"))


def an_organisation(org_id: str, kind: OrgKind) -> branches.Organisation:
    return replace(branches.INITIAL, exists=True, org_id=org_id, kind=kind)


def test_an_unrecorded_home_that_branches_name_is_recorded_by_the_county_only() -> None:
    # Branches whose home "township-x" is not recorded answer to it as their township; a committee recording an
    # organisation under that id would move them, and their members, into its own township.
    township = Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id="township-a")
    parent = an_organisation(TOWNSHIP_ID, OrgKind.TOWNSHIP_COMMITTEE)
    squat = establish_org(actor=township, org_id="township-x", kind=OrgKind.GENERAL_BRANCH)
    assert branches.decide(branches.INITIAL, squat, parent=parent)  # an id no record names
    with pytest.raises(Forbidden, match="township-x is the home organisation of recorded outstation branches"):
        branches.decide(branches.INITIAL, squat, parent=parent, named_as_home=True)
    with pytest.raises(Forbidden, match="the county organisation department records it"):
        branches.decide(branches.INITIAL, establish(actor=township, branch_id="township-x"), named_as_home=True)
    recorded = establish_org(org_id="township-x", kind=OrgKind.TOWNSHIP_COMMITTEE, parent_id="county")
    assert branches.decide(branches.INITIAL, recorded, parent=an_organisation("county", OrgKind.COUNTY_COMMITTEE),
                           named_as_home=True)


def test_the_establishment_date_cannot_be_in_the_future() -> None:
    assert branches.decide(branches.INITIAL, establish(established_on=TODAY))
    with pytest.raises(DomainError, match="future"):
        branches.decide(branches.INITIAL, establish(established_on=TODAY + timedelta(days=1)))


@given(st.integers(min_value=2, max_value=5))
def test_a_joint_branch_covers_two_to_five_units(n: int) -> None:
    units = tuple(f"unit {i}" for i in range(n))
    (event,) = branches.decide(branches.INITIAL, establish(build_mode=BuildMode.JOINT, covered_units=units))
    assert event.covered_units == units


@given(st.integers(min_value=6, max_value=40))
def test_a_joint_branch_never_covers_more_than_five_units(n: int) -> None:
    units = tuple(f"unit {i}" for i in range(n))
    with pytest.raises(DomainError, match="at most 5"):
        branches.decide(branches.INITIAL, establish(build_mode=BuildMode.JOINT, covered_units=units))


def test_a_joint_branch_needs_at_least_two_units() -> None:
    with pytest.raises(DomainError, match="at least two"):
        branches.decide(branches.INITIAL, establish(build_mode=BuildMode.JOINT, covered_units=("only one",)))


def test_a_standalone_branch_covers_one_unit() -> None:
    with pytest.raises(DomainError, match="joint"):
        branches.decide(branches.INITIAL, establish(covered_units=("a", "b")))


def test_covered_units_must_be_distinct() -> None:
    with pytest.raises(DomainError, match="distinct"):
        branches.decide(branches.INITIAL, establish(build_mode=BuildMode.JOINT, covered_units=("a", "a")))


def test_a_blank_name_is_refused() -> None:
    with pytest.raises(DomainError, match="name"):
        branches.decide(branches.INITIAL, establish(name="   "))


# --- Outstation branches in the tree (A, B1) --------------------------------------------------------


def test_a_village_based_branch_belongs_to_a_township_committee() -> None:
    cmd = establish(founding_basis=FoundingBasis.VILLAGE)
    (event,) = branches.decide(branches.INITIAL, cmd, home_org_kind=OrgKind.TOWNSHIP_COMMITTEE)
    assert isinstance(event, BranchEstablished) and event.home_org_id == "township-a"
    with pytest.raises(DomainError, match=r"belongs to the township committee.*general_branch"):
        branches.decide(branches.INITIAL, cmd, home_org_kind=OrgKind.GENERAL_BRANCH)


def test_a_village_based_branch_is_refused_while_the_kind_of_its_home_organisation_is_unknown() -> None:
    with pytest.raises(DomainError, match="township-a is not known"):
        branches.decide(branches.INITIAL, establish(founding_basis=FoundingBasis.VILLAGE))


def test_a_township_committee_establishing_a_village_based_branch_is_its_home_organisation() -> None:
    township = Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id="township-a")
    assert branches.decide(branches.INITIAL, establish(actor=township, founding_basis=FoundingBasis.VILLAGE))


def test_a_village_based_branch_serves_village_terms_unless_told_otherwise() -> None:
    cmd = establish(founding_basis=FoundingBasis.VILLAGE)
    (event,) = branches.decide(branches.INITIAL, cmd, home_org_kind=OrgKind.TOWNSHIP_COMMITTEE)
    assert isinstance(event, BranchEstablished) and event.village_or_community
    (event,) = branches.decide(branches.INITIAL, establish(founding_basis=FoundingBasis.VILLAGE,
                                                           village_or_community=False),
                               home_org_kind=OrgKind.TOWNSHIP_COMMITTEE)
    assert isinstance(event, BranchEstablished) and not event.village_or_community
    (event,) = branches.decide(branches.INITIAL, establish())
    assert isinstance(event, BranchEstablished) and not event.village_or_community


def test_an_outstation_branch_sits_under_its_home_organisation_and_records_who_set_it_up() -> None:
    (event,) = branches.decide(branches.INITIAL, establish())
    assert isinstance(event, BranchEstablished)
    assert event.parent_id == "township-a" and event.kind is OrgKind.BRANCH
    assert event.actor == "county_admin:admin" and event.policy_version == "organisation-2026.1"
    state = branches.evolve(branches.INITIAL, event)
    assert state.is_outstation and state.parent_id == "township-a" and state.branch_id == "b-1"


def test_an_outstation_branch_cannot_be_managed_by_a_party_group() -> None:
    with pytest.raises(DomainError, match="cannot be managed by a party_group"):
        branches.decide(branches.INITIAL, establish(), home_org_kind=OrgKind.PARTY_GROUP)


def test_a_temporary_branch_is_not_set_up_as_an_outstation_branch() -> None:
    with pytest.raises(DomainError, match="EstablishOrganisation"):
        branches.decide(branches.INITIAL, establish(kind=OrgKind.TEMPORARY_BRANCH))


def test_an_outstation_branch_founded_with_two_full_members_is_refused_and_three_suffice() -> None:
    assert branches.decide(branches.INITIAL, establish(founding_full_members=3))
    with pytest.raises(DomainError, match=r"at least 3 full members \(2 given\).*joint branch"):
        branches.decide(branches.INITIAL, establish(founding_full_members=2))


def test_a_joint_branch_of_five_units_is_accepted_and_of_six_refused() -> None:
    five = tuple(f"unit {i}" for i in range(5))
    assert branches.decide(branches.INITIAL, establish(build_mode=BuildMode.JOINT, covered_units=five))
    with pytest.raises(DomainError, match="at most 5 units; 6 were given"):
        branches.decide(branches.INITIAL, establish(build_mode=BuildMode.JOINT, covered_units=(*five, "unit 5")))


def test_an_outstation_branch_may_admit_members() -> None:
    assert branches.may_admit(an_established_branch())
    assert not branches.may_admit(branches.INITIAL)


# --- Friendly Party committee (友好党委) ----------------------------------------------------------


def _township_based_branch() -> branches.Organisation:
    (event,) = branches.decide(branches.INITIAL, establish(founding_basis=FoundingBasis.TOWNSHIP))
    return branches.evolve(branches.INITIAL, event)


def test_a_township_based_branch_co_builds_a_friendly_committee_with_the_host() -> None:
    township = Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id="township-a")
    (event,) = branches.decide(_township_based_branch(), link(actor=township))
    assert isinstance(event, FriendlyCommitteeLinked)
    assert event.host_committee == "Longhua street Party committee" and event.approving_org_id == "township-a"
    state = branches.evolve(_township_based_branch(), event)
    assert state.friendly_committee == "Longhua street Party committee"
    with pytest.raises(StateConflict, match="already linked"):
        branches.decide(state, link())


def test_only_township_or_institution_based_branches_co_build_a_friendly_committee() -> None:
    with pytest.raises(DomainError, match="founding basis 'township'"):
        branches.decide(an_established_branch(), link())


def test_another_township_cannot_link_a_branch_it_does_not_manage() -> None:
    other = Actor(subject="o", role=Role.TOWNSHIP_COMMITTEE, org_id="township-b")
    with pytest.raises(Forbidden, match="township-a"):
        branches.decide(_township_based_branch(), link(actor=other))


def test_a_friendly_committee_link_cannot_predate_the_branch() -> None:
    with pytest.raises(DomainError, match="before the branch was established"):
        branches.decide(_township_based_branch(), link(linked_on=date(2026, 2, 28)))


def link(**overrides: Any) -> LinkFriendlyCommittee:
    cmd = LinkFriendlyCommittee(actor=ADMIN, today=TODAY, org_id="b-1",
                                host_committee=" Longhua street Party committee ", linked_on=date(2026, 3, 1))
    return replace(cmd, **overrides)


# --- Golden Bridge targets (A, D4) ----------------------------------------------------------------


def facts(branch_id: str, established_on: date, township: str = "t-1", **kw: Any) -> OutstationBranchFacts:
    return OutstationBranchFacts(branch_id=branch_id, township_id=township, established_on=established_on, **kw)


def test_a_township_meets_its_target_with_a_branch_established_on_30_june_but_not_1_july() -> None:
    report = targets([facts("b-1", date(2026, 6, 30)), facts("b-2", date(2026, 7, 1), township="t-2")], 2026,
                     date(2026, 12, 31))
    (t1, t2) = report.townships
    assert (t1.township_id, t1.status, t1.branches_by_deadline) == ("t-1", TargetStatus.MET, ("b-1",))
    assert (t2.township_id, t2.status, t2.branches_by_deadline) == ("t-2", TargetStatus.MISSED, ())


def test_a_township_without_a_branch_is_open_until_30_june_and_missed_from_1_july() -> None:
    assert targets([], 2026, date(2026, 6, 30), townships=["t-1"]).townships[0].status is TargetStatus.OPEN
    assert targets([], 2026, date(2026, 7, 1), townships=["t-1"]).townships[0].status is TargetStatus.MISSED


def test_branches_of_earlier_years_count_unless_the_county_counts_new_branches_only() -> None:
    old = [facts("b-1", date(2024, 5, 1))]
    assert targets(old, 2026, date(2026, 12, 31)).townships[0].status is TargetStatus.MET
    strict = OrganisationPolicy(version="strict", effective_from=date(2000, 1, 1),
                                township_target_new_branches_only=True)
    assert targets(old, 2026, date(2026, 12, 31), policy=strict).townships[0].status is TargetStatus.MISSED


def test_a_branch_meets_its_target_with_two_activists_and_one_admission_in_the_year() -> None:
    met = facts("b-1", date(2025, 1, 1), activists_designated=(date(2026, 1, 1), date(2026, 12, 31)),
                admissions_approved=(date(2026, 9, 1),))
    short = facts("b-2", date(2025, 1, 1), activists_designated=(date(2025, 12, 31), date(2026, 3, 1)),
                  admissions_approved=(date(2026, 9, 1), date(2027, 1, 1)))
    report = targets([met, short], 2026, date(2027, 1, 15))
    assert [(b.branch_id, b.activists, b.admissions, b.status) for b in report.branches] == [
        ("b-1", 2, 1, TargetStatus.MET), ("b-2", 1, 1, TargetStatus.MISSED)]


def test_a_branch_short_of_its_target_is_open_during_the_year_and_later_facts_do_not_count() -> None:
    branch = facts("b-1", date(2025, 1, 1), activists_designated=(date(2026, 3, 1), date(2026, 8, 1)),
                   admissions_approved=(date(2026, 8, 1),))
    (row,) = targets([branch], 2026, date(2026, 7, 31)).branches
    assert (row.activists, row.admissions, row.status) == (1, 0, TargetStatus.OPEN)


def test_a_branch_established_after_the_year_is_not_in_its_report() -> None:
    assert targets([facts("b-1", date(2027, 1, 1))], 2026, date(2027, 3, 1)).branches == ()
