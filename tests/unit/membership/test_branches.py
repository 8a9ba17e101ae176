"""Establishing outstation branches: who may, and the build-mode rules of B1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.errors import AlreadyExists, DomainError, Forbidden
from services.kernel.identity import Actor, Role
from services.membership.domain import branches
from services.membership.events import BranchEstablished, BuildMode, FoundingBasis
from tests.unit.membership.builders import SECRETARY, TODAY, an_established_branch, establish


def test_a_county_administrator_establishes_an_outstation_branch() -> None:
    (event,) = branches.decide(branches.INITIAL, establish())
    assert isinstance(event, BranchEstablished)
    assert event.founding_basis is FoundingBasis.LOCALITY
    assert event.home_org_id == "township-a"
    state = branches.evolve(branches.INITIAL, event)
    assert state.exists and state.name == "Shenzhen Longhua Branch"


@pytest.mark.parametrize("basis", list(FoundingBasis))
def test_every_founding_basis_of_the_decision_is_accepted(basis: FoundingBasis) -> None:
    (event,) = branches.decide(branches.INITIAL, establish(founding_basis=basis))
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
