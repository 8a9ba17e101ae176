"""Registering members and their outflows: scope, identity number, age, transfer-vs-certificate."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.errors import AlreadyExists, DomainError, Forbidden, NotFound
from services.kernel.identity import Actor, Role
from services.membership.domain import branches, members
from services.membership.domain.rules import birth_date_from_national_id, mask_national_id
from services.membership.events import Instrument, MemberRegistered, MemberStatus, OutflowRegistered
from tests.unit.membership.builders import (
    SECRETARY,
    TODAY,
    a_registered_member,
    an_established_branch,
    national_id,
    outflow,
    register,
)


def test_a_member_is_registered_into_an_existing_branch() -> None:
    (event,) = members.decide(members.INITIAL, register(), formal_org=an_established_branch())
    assert isinstance(event, MemberRegistered)
    assert event.formal_org_id == "b-1"


def test_a_member_cannot_be_registered_into_an_organisation_that_does_not_exist() -> None:
    with pytest.raises(NotFound):
        members.decide(members.INITIAL, register(), formal_org=branches.INITIAL)


def test_a_member_is_registered_only_once() -> None:
    with pytest.raises(AlreadyExists):
        members.decide(a_registered_member(), register(), formal_org=an_established_branch())


def test_a_secretary_registers_members_only_into_their_own_branch() -> None:
    assert members.decide(members.INITIAL, register(actor=SECRETARY), formal_org=an_established_branch())
    other = Actor(subject="s2", role=Role.BRANCH_SECRETARY, org_id="b-2")
    with pytest.raises(Forbidden):
        members.decide(members.INITIAL, register(actor=other), formal_org=an_established_branch())


def test_a_host_organisation_cannot_register_members() -> None:
    host = Actor(subject="h", role=Role.HOST_ORGANISATION, org_id="b-1")
    with pytest.raises(Forbidden):
        members.decide(members.INITIAL, register(actor=host), formal_org=an_established_branch())


@pytest.mark.parametrize("status", [MemberStatus.SUSPENDED, MemberStatus.REMOVED])
def test_a_member_is_registered_as_probationary_or_full_only(status: MemberStatus) -> None:
    with pytest.raises(DomainError):
        members.decide(members.INITIAL, register(status=status), formal_org=an_established_branch())


def test_a_member_must_be_eighteen_on_the_day_of_registration() -> None:
    eighteen_today = date(TODAY.year - 18, TODAY.month, TODAY.day)
    assert members.decide(members.INITIAL, register(national_id=national_id(eighteen_today)),
                          formal_org=an_established_branch())
    one_day_short = eighteen_today + timedelta(days=1)
    with pytest.raises(DomainError, match="at least 18"):
        members.decide(members.INITIAL, register(national_id=national_id(one_day_short)),
                       formal_org=an_established_branch())


def test_a_member_must_have_been_eighteen_when_joining() -> None:
    born = date(1990, 5, 17)
    with pytest.raises(DomainError, match="joining"):
        members.decide(members.INITIAL, register(joined_on=date(2008, 5, 16)), formal_org=an_established_branch())
    assert members.decide(members.INITIAL, register(joined_on=date(2008, 5, 17)), formal_org=an_established_branch())
    assert born


@given(st.dates(min_value=date(1930, 1, 1), max_value=date(2008, 1, 1)), st.integers(0, 999))
def test_every_well_formed_identity_number_gives_back_its_birth_date(born: date, serial: int) -> None:
    number = national_id(born, serial=f"{serial:03d}")
    assert birth_date_from_national_id(number) == born


@given(st.dates(min_value=date(1930, 1, 1), max_value=date(2008, 1, 1)), st.integers(0, 16))
def test_any_single_digit_typo_in_an_identity_number_is_caught(born: date, position: int) -> None:
    number = national_id(born)
    digit = str((int(number[position]) + 1) % 10)
    typo = number[:position] + digit + number[position + 1:]
    with pytest.raises(DomainError):
        birth_date_from_national_id(typo)


def test_an_identity_number_is_masked_except_region_and_check_digit() -> None:
    number = national_id(date(1990, 5, 17))
    masked = mask_national_id(number)
    assert masked.startswith(number[:3]) and masked.endswith(number[-1]) and "19900517" not in masked
    assert len(masked) == 18


def test_an_outflow_of_under_six_months_calls_for_an_activity_certificate() -> None:
    (event,) = members.decide(a_registered_member(), outflow(expected_months=5))
    assert isinstance(event, OutflowRegistered)
    assert event.instrument_advised is Instrument.ACTIVITY_CERTIFICATE
    assert event.policy_version == "membership-2026.1"


def test_six_months_or_more_at_a_fixed_place_calls_for_a_transfer() -> None:
    (event,) = members.decide(a_registered_member(), outflow(expected_months=6))
    assert isinstance(event, OutflowRegistered)
    assert event.instrument_advised is Instrument.TRANSFER


def test_a_long_stay_without_a_fixed_place_keeps_the_certificate() -> None:
    (event,) = members.decide(a_registered_member(), outflow(expected_months=12, fixed_place=False))
    assert isinstance(event, OutflowRegistered)
    assert event.instrument_advised is Instrument.ACTIVITY_CERTIFICATE


def test_an_outflow_needs_a_registered_member() -> None:
    with pytest.raises(NotFound):
        members.decide(members.INITIAL, outflow())


def test_a_member_already_away_is_not_registered_as_leaving_again() -> None:
    (event,) = members.decide(a_registered_member(), outflow())
    away = members.evolve(a_registered_member(), event)
    with pytest.raises(DomainError, match="already registered as away"):
        members.decide(away, outflow())


def test_a_secretary_registers_outflows_only_for_their_own_members() -> None:
    assert members.decide(a_registered_member(), outflow(actor=SECRETARY))
    other = Actor(subject="s2", role=Role.BRANCH_SECRETARY, org_id="b-2")
    with pytest.raises(Forbidden):
        members.decide(a_registered_member(), outflow(actor=other))


@pytest.mark.parametrize("months", [0, 121])
def test_expected_months_must_be_within_policy_bounds(months: int) -> None:
    with pytest.raises(DomainError, match="expected_months"):
        members.decide(a_registered_member(), outflow(expected_months=months))


def test_an_outflow_cannot_be_registered_before_the_member_leaves() -> None:
    with pytest.raises(DomainError, match="future"):
        members.decide(a_registered_member(), outflow(left_on=TODAY + timedelta(days=1)))
