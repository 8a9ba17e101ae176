"""Registering members and their outflows: scope, identity number, age, transfer-vs-certificate."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.membership.contract.commands.members import RegisterOutflow
from services.membership.contract.commands.mobility import RecordContact, RegisterReturn
from services.membership.contract.commands.transfers import (
    ApproveTransferOut,
    CancelTransfer,
    ExpireLetter,
    ReceiveTransfer,
    ReissueLetter,
    RequestTransfer,
    ReturnReceipt,
)
from services.membership.contract.events import Instrument, MemberRegistered, MemberStatus, OutflowRegistered
from services.membership.contract.events.mobility import ContactChannel
from services.membership.contract.events.transfers import ExternalOrganisation, TransferChannel, TransferReceived
from services.membership.domain import branches, members
from services.membership.domain.rules import birth_date_from_national_id, mask_national_id
from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, Problem
from services.pure.identity import Actor, Role
from tests.unit.membership.builders import (
    ADMIN,
    CONTACT,
    SECRETARY,
    TODAY,
    a_receiving_branch,
    a_registered_member,
    an_established_branch,
    approve_transfer,
    decide,
    national_id,
    outflow,
    register,
    request_transfer,
    run,
)


def test_a_member_is_registered_into_an_existing_branch() -> None:
    (event,) = decide(members.INITIAL, register(), formal_org=an_established_branch())
    assert isinstance(event, MemberRegistered)
    assert event.formal_org_id == "b-1"


def test_a_member_cannot_be_registered_into_an_organisation_that_does_not_exist() -> None:
    with pytest.raises(NotFound):
        decide(members.INITIAL, register(), formal_org=branches.INITIAL)


def test_a_member_is_registered_only_once() -> None:
    with pytest.raises(AlreadyExists):
        decide(a_registered_member(), register(), formal_org=an_established_branch())


def test_a_secretary_registers_members_only_into_their_own_branch() -> None:
    assert decide(members.INITIAL, register(actor=SECRETARY), formal_org=an_established_branch())
    other = Actor(subject="s2", role=Role.BRANCH_SECRETARY, org_id="b-2")
    with pytest.raises(Forbidden):
        decide(members.INITIAL, register(actor=other), formal_org=an_established_branch())


def test_a_host_organisation_cannot_register_members() -> None:
    host = Actor(subject="h", role=Role.HOST_ORGANISATION, org_id="b-1")
    with pytest.raises(Forbidden):
        decide(members.INITIAL, register(actor=host), formal_org=an_established_branch())


@pytest.mark.parametrize("status", [MemberStatus.SUSPENDED, MemberStatus.REMOVED])
def test_a_member_is_registered_as_probationary_or_full_only(status: MemberStatus) -> None:
    with pytest.raises(DomainError):
        decide(members.INITIAL, register(status=status), formal_org=an_established_branch())


def test_a_member_must_be_eighteen_on_the_day_of_registration() -> None:
    eighteen_today = date(TODAY.year - 18, TODAY.month, TODAY.day)
    assert decide(members.INITIAL, register(national_id=national_id(eighteen_today)),
                          formal_org=an_established_branch())
    one_day_short = eighteen_today + timedelta(days=1)
    with pytest.raises(DomainError, match="at least 18"):
        decide(members.INITIAL, register(national_id=national_id(one_day_short)),
                       formal_org=an_established_branch())


def test_a_member_must_have_been_eighteen_when_joining() -> None:
    born = date(1990, 5, 17)
    with pytest.raises(DomainError, match="joining"):
        decide(members.INITIAL, register(joined_on=date(2008, 5, 16)), formal_org=an_established_branch())
    assert decide(members.INITIAL, register(joined_on=date(2008, 5, 17)), formal_org=an_established_branch())
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
    (event,) = decide(a_registered_member(), outflow(expected_months=5))
    assert isinstance(event, OutflowRegistered)
    assert event.instrument_advised is Instrument.ACTIVITY_CERTIFICATE
    assert event.policy_version == "mobility-2026.1"


def test_six_months_or_more_at_a_fixed_place_calls_for_a_transfer() -> None:
    (event,) = decide(a_registered_member(), outflow(expected_months=6))
    assert isinstance(event, OutflowRegistered)
    assert event.instrument_advised is Instrument.TRANSFER


def test_a_long_stay_without_a_fixed_place_keeps_the_certificate() -> None:
    (event,) = decide(a_registered_member(), outflow(expected_months=12, fixed_place=False))
    assert isinstance(event, OutflowRegistered)
    assert event.instrument_advised is Instrument.ACTIVITY_CERTIFICATE


def test_an_outflow_needs_a_registered_member() -> None:
    with pytest.raises(NotFound):
        decide(members.INITIAL, outflow())


def test_a_member_already_away_is_not_registered_as_leaving_again() -> None:
    (event,) = decide(a_registered_member(), outflow())
    away = members.evolve(a_registered_member(), event)
    with pytest.raises(DomainError, match="already registered as away"):
        decide(away, outflow())


def test_a_secretary_registers_outflows_only_for_their_own_members() -> None:
    assert decide(a_registered_member(), outflow(actor=SECRETARY))
    other = Actor(subject="s2", role=Role.BRANCH_SECRETARY, org_id="b-2")
    with pytest.raises(Forbidden):
        decide(a_registered_member(), outflow(actor=other))


@pytest.mark.parametrize("months", [0, 121])
def test_expected_months_must_be_within_policy_bounds(months: int) -> None:
    with pytest.raises(DomainError, match="expected_months"):
        decide(a_registered_member(), outflow(expected_months=months))


def test_an_outflow_cannot_be_registered_before_the_member_leaves() -> None:
    with pytest.raises(DomainError, match="future"):
        decide(a_registered_member(), outflow(left_on=TODAY + timedelta(days=1)))


def test_registration_records_the_day_as_the_first_contact() -> None:
    (event,) = decide(members.INITIAL, register(), formal_org=an_established_branch())
    assert isinstance(event, MemberRegistered) and event.registered_on == TODAY
    assert members.evolve(members.INITIAL, event).last_contact_on == TODAY


# --- The one member stream: exactly one formal organisation, changed only by TransferReceived -------------

_ORGS = ("b-1", "b-2", "b-3", "ext-1")
_EXTERNAL = ExternalOrganisation(org_id="ext-1", name="Kunshan Development Zone Committee", address="Kunshan, Jiangsu")
_KINDS = ("request", "approve", "receive", "receipt", "cancel", "reissue", "expire", "outflow", "return", "contact")


def _command(kind: str, state: members.Member, org: str, day: date, n: int, current: bool) -> Any:
    transfer = state.transfer
    transfer_id = transfer.transfer_id if transfer and current else f"tr-{n}"
    letter = transfer.letter.number if transfer and transfer.letter and current else f"L-{n % 3}"
    common: dict[str, Any] = {"actor": ADMIN, "today": day, "member_id": "m-1"}
    match kind:
        case "request":
            target = {"to_external": _EXTERNAL} if org == "ext-1" else {"to_org_id": org}
            return RequestTransfer(**common, transfer_id=f"tr-{n}", reason="moving", **target)
        case "approve":
            return ApproveTransferOut(**common, transfer_id=transfer_id, letter_number=f"L-{n}",
                                      channel=TransferChannel.PAPER, issued_on=day, dues_paid_up_to="2026-12")
        case "receive":
            return ReceiveTransfer(**common, transfer_id=transfer_id, letter_number=letter, received_on=day)
        case "receipt":
            last = state.last_received.transfer_id if state.last_received and current else f"tr-{n}"
            return ReturnReceipt(**common, transfer_id=last, returned_on=day)
        case "cancel":
            return CancelTransfer(**common, transfer_id=transfer_id, cancelled_on=day, reason="changed plans")
        case "reissue":
            return ReissueLetter(**common, transfer_id=transfer_id, letter_number=f"L-{n}", issued_on=day,
                                 dues_paid_up_to="2026-12", reason="lost")
        case "expire":
            return ExpireLetter(**common, transfer_id=transfer_id, letter_number=letter)
        case "outflow":
            return RegisterOutflow(**common, destination=org, employer="a factory", contact=CONTACT, left_on=day,
                                   expected_months=3)
        case "return":
            return RegisterReturn(**common, returned_on=day)
        case _:
            return RecordContact(**common, contacted_on=day, channel=ContactChannel.PHONE)


# The transfer flow is weighted up, and commands mostly name the transfer and letter in progress, so that
# runs reach letters, receipts and re-issues rather than being refused for naming the wrong transfer.
_steps = st.lists(
    st.tuples(st.sampled_from(_KINDS[:3] * 3 + _KINDS), st.sampled_from(_ORGS), st.integers(0, 45),
              st.sampled_from((True, True, True, True, False))),
    min_size=5, max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(_steps)
def test_a_member_always_has_exactly_one_formal_organisation_changed_only_by_a_received_transfer(
    steps: list[tuple[str, str, int, bool]],
) -> None:
    orgs = {"b-1": an_established_branch(), "b-2": a_receiving_branch(), "b-3": branches.INITIAL}
    state, day, history = a_registered_member(), TODAY, []
    for n, (kind, org, advance, current) in enumerate(steps):
        day += timedelta(days=advance)
        command = _command(kind, state, org, day, n, current)
        try:
            events = decide(state, command, receiving_org=orgs.get(org, branches.INITIAL))
        except Problem:
            continue
        for event in events:
            before = state.formal_org_id
            state = members.evolve(state, event)
            history.append(event)
            if isinstance(event, TransferReceived):
                assert (event.from_org_id, event.to_org_id) == (before, state.formal_org_id)
                assert before != event.to_org_id
            else:
                assert state.formal_org_id == before
            assert state.exists and state.formal_org_id in _ORGS
            # Never two: an external organisation, when set, is the formal one.
            assert state.external_org is None or state.external_org.org_id == state.formal_org_id
            assert state.in_county == (state.formal_org_id != "ext-1")
            # One transfer at a time, always from where the member is now.
            assert state.transfer is None or state.transfer.from_org_id == state.formal_org_id
    replayed = members.evolve(members.INITIAL, decide(members.INITIAL, register(),
                                                              formal_org=an_established_branch())[0])
    for event in history:
        replayed = members.evolve(replayed, event)
    assert replayed == state


def test_the_member_stream_lists_the_due_items_of_standing_mobility_and_transfers_together() -> None:
    state = run(a_registered_member(), outflow(), request_transfer(), approve_transfer(),
                receiving_org=a_receiving_branch())
    items = members.due_items(state, date(2027, 6, 1))
    # Registered (last contact) 2026-11-24; letter issued 2026-12-01, valid 90 days; sorted by due date.
    assert [(i.kind, i.due_on, i.overdue) for i in items] == [
        ("transfer_letter_expiring", date(2027, 3, 1), True),
        ("suspension_review", date(2027, 5, 24), True),
        ("transfer_lapse_review", date(2027, 6, 1), False),
    ]
    assert {i.subject_id for i in items} == {"m-1"}
