"""Membership's one scope decision (services/membership/access.py): each command family's place, on real folds."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from services.kernel.store import RecordedEvent, Stream
from services.membership import access
from services.membership.contract.commands.branches import EstablishOrganisation
from services.membership.contract.commands.dues import (
    ContinueAfterTransfer,
    OpenAccount,
    PublishDuesScale,
    RecordPayment,
    RemitUpward,
)
from services.membership.contract.events import DuesCategory
from services.membership.contract.events.branches import OrgKind
from services.membership.domain import branches, development, members
from services.pure.errors import Forbidden
from services.pure.identity import Actor, Role
from services.pure.scope import Place
from tests.unit.membership import builders as b
from tests.unit.membership import development_builders as d

TODAY = b.TODAY
COUNTY = "county"
TOWN_A, TOWN_B = "township-a", "township-b"
BRANCH_A, BRANCH_B = "b-1", "b-9"  # outstation branches of townships A and B
GROUP_A = "group-a"  # a Party group under a branch under a general branch under township A


class FakeStore:
    """Streams of real events, loaded like the event store does (only what access reads: ``load``)."""

    def __init__(self) -> None:
        self.streams: dict[str, list[RecordedEvent[Any]]] = {}
        self.loads = 0

    def add(self, stream_id: str, stream_type: str, *events: Any) -> None:
        self.streams.setdefault(stream_id, []).extend(
            RecordedEvent(envelope=SimpleNamespace(stream_type=stream_type), event=e) for e in events)

    async def load(self, stream_id: str, **_: Any) -> Stream[Any]:
        self.loads += 1
        events = self.streams.get(stream_id, [])
        return Stream(stream_id=stream_id, version=len(events), events=list(events))


def _org(store: FakeStore, cmd: EstablishOrganisation) -> branches.Organisation:
    parent = branches.INITIAL
    if cmd.parent_id:
        parent = branches.INITIAL
        for r in store.streams.get(cmd.parent_id, []):
            parent = branches.evolve(parent, r.event)
    events = branches.decide(branches.INITIAL, cmd, parent=parent)
    store.add(cmd.org_id, "branch", *events)
    return parent


def a_county() -> FakeStore:
    """County → townships A and B (recorded) → outstation branches b-1 (A) and b-9 (B); A also has a general
    branch with a Party group."""
    store = FakeStore()
    _org(store, b.establish_org(org_id=COUNTY, kind=OrgKind.COUNTY_COMMITTEE, parent_id=None, name="County"))
    for town in (TOWN_A, TOWN_B):
        _org(store, b.establish_org(org_id=town, kind=OrgKind.TOWNSHIP_COMMITTEE, parent_id=COUNTY, name=town))
    _org(store, b.establish_org(org_id="general-a", kind=OrgKind.GENERAL_BRANCH, parent_id=TOWN_A, name="General"))
    _org(store, b.establish_org(org_id="branch-a", kind=OrgKind.BRANCH, parent_id="general-a", name="Branch"))
    _org(store, b.establish_org(org_id=GROUP_A, kind=OrgKind.PARTY_GROUP, parent_id="branch-a", name="Group"))
    for branch, town in ((BRANCH_A, TOWN_A), (BRANCH_B, TOWN_B)):
        store.add(branch, "branch", *branches.decide(branches.INITIAL, b.establish(branch_id=branch, home_org_id=town),
                                                     home_org_kind=OrgKind.TOWNSHIP_COMMITTEE))
    return store


def with_member(store: FakeStore, member_id: str = "m-1", branch: str = BRANCH_A, *then: Any) -> FakeStore:
    state = members.INITIAL
    for cmd in (b.register(member_id=member_id, formal_org_id=branch), *then):
        events = b.decide(state, cmd, formal_org=_state(store, branch),
                          receiving_org=_state(store, getattr(cmd, "to_org_id", None) or branch))
        for event in events:
            state = members.evolve(state, event)
        store.add(member_id, "member", *events)
    return store


def _state(store: FakeStore, org_id: str) -> branches.Organisation:
    state = branches.INITIAL
    for r in store.streams.get(org_id, []):
        state = branches.evolve(state, r.event)
    return state


def township(org: str) -> Actor:
    return Actor(subject=f"{org}-office", role=Role.TOWNSHIP_COMMITTEE, org_id=org)


def secretary(org: str) -> Actor:
    return Actor(subject=f"{org}-sec", role=Role.BRANCH_SECRETARY, org_id=org)


def host(org: str) -> Actor:
    return Actor(subject=f"{org}-clerk", role=Role.HOST_ORGANISATION, org_id=org)


async def refused(store: FakeStore, actor: Actor, command: Any) -> bool:
    try:
        await access.authorize(store, actor, command)
    except Forbidden:
        return True
    return False


# --- Organisations --------------------------------------------------------------------------------------------

async def test_a_township_is_its_own_place_and_the_place_of_what_hangs_under_it() -> None:
    store = a_county()
    assert await access.township_of(store, TOWN_A) == TOWN_A
    assert await access.township_of(store, BRANCH_A) == TOWN_A
    assert await access.township_of(store, GROUP_A) == TOWN_A
    assert await access.township_of(store, COUNTY) is None


async def test_an_organisation_not_recorded_has_no_township_so_only_the_county_reaches_it() -> None:
    store = a_county()
    assert await access.place_of(store, b.elect_secretary(org_id="nowhere")) == Place.of("nowhere", None)
    assert await refused(store, township(TOWN_A), b.elect_secretary(org_id="nowhere"))
    assert not await refused(store, Actor(subject="a", role=Role.COUNTY_ADMIN), b.elect_secretary(org_id="nowhere"))


async def test_an_outstation_branch_belongs_to_its_home_township_even_if_that_committee_is_not_recorded() -> None:
    store = FakeStore()
    store.add("b-x", "branch", *branches.decide(branches.INITIAL, b.establish(branch_id="b-x", home_org_id="town-x"),
                                                home_org_kind=OrgKind.TOWNSHIP_COMMITTEE))
    assert await access.township_of(store, "b-x") == "town-x"


async def test_a_cycle_or_a_deep_tree_ends_the_walk_without_a_township() -> None:
    store = FakeStore()
    for i in range(access.MAX_DEPTH + 2):
        store.add(f"o-{i}", "branch", replace(
            branches.decide(branches.INITIAL, b.establish_org(org_id=f"o-{i}", parent_id=f"o-{i + 1}"),
                            parent=replace(branches.INITIAL, exists=True, kind=OrgKind.TOWNSHIP_COMMITTEE))[0]))
    assert await access.township_of(store, "o-0") is None
    assert store.loads <= access.MAX_DEPTH


async def test_another_townships_committee_cannot_elect_a_secretary_of_this_townships_branch() -> None:
    store = a_county()
    cmd = b.elect_secretary(org_id=BRANCH_A)
    assert await access.place_of(store, cmd) == Place.of(BRANCH_A, TOWN_A)
    assert await refused(store, township(TOWN_B), cmd)
    assert await refused(store, secretary(BRANCH_B), cmd)
    assert not await refused(store, township(TOWN_A), cmd)
    assert not await refused(store, secretary(BRANCH_A), cmd)


async def test_an_organisation_is_established_at_its_parents_place_and_a_branch_at_its_home() -> None:
    store = a_county()
    under_a = b.establish_org(org_id="new", parent_id=TOWN_A)
    assert await access.place_of(store, under_a) == Place.of(TOWN_A, TOWN_A)
    assert await refused(store, township(TOWN_B), under_a)
    assert not await refused(store, township(TOWN_A), under_a)
    # A township is established under the county: the county's act.
    assert await refused(store, township(TOWN_A), b.establish_org(org_id="town-c", parent_id=COUNTY))
    assert await refused(store, township(TOWN_A), b.establish_org(org_id="c2", parent_id=None))
    branch = b.establish(branch_id="new-b", home_org_id=TOWN_A)
    assert await refused(store, township(TOWN_B), branch)
    assert not await refused(store, township(TOWN_A), branch)


async def test_meetings_and_remittances_are_placed_at_their_organisation() -> None:
    store = a_county()
    meeting = b.record_meeting(org_id=BRANCH_A)
    remit = RemitUpward(actor=secretary(BRANCH_A), today=TODAY, org_id=BRANCH_A, period="2026-Q3",
                        amount=Decimal("10"), to_org_id=TOWN_A, remitted_on=TODAY)
    for cmd in (meeting, remit):
        assert await refused(store, township(TOWN_B), cmd)
        assert await refused(store, secretary(BRANCH_B), cmd)
        assert not await refused(store, secretary(BRANCH_A), cmd)


# --- Members, mobility and transfers --------------------------------------------------------------------------

async def test_a_member_is_placed_at_their_formal_organisation_and_its_township() -> None:
    store = with_member(a_county())
    for cmd in (b.outflow(), b.suspend(), b.record_contact(), b.request_transfer(to_org_id=BRANCH_B),
                b.record_training(member_id="m-1")):
        assert await access.place_of(store, cmd) == Place.of(BRANCH_A, TOWN_A, people=("m-1",))
        assert await refused(store, township(TOWN_B), cmd)
        assert await refused(store, secretary(BRANCH_B), cmd)
        assert not await refused(store, township(TOWN_A), cmd)


async def test_a_member_reaches_only_their_own_record() -> None:
    store = with_member(with_member(a_county()), "m-2")
    assert not await refused(store, Actor(subject="m-1", role=Role.MEMBER), b.record_contact(member_id="m-1"))
    assert await refused(store, Actor(subject="m-1", role=Role.MEMBER), b.record_contact(member_id="m-2"))


async def test_a_member_is_registered_at_their_formal_organisation() -> None:
    store = a_county()
    cmd = b.register(member_id="m-new", formal_org_id=BRANCH_A)
    assert await refused(store, township(TOWN_B), cmd)
    assert await refused(store, secretary(BRANCH_B), cmd)
    assert not await refused(store, secretary(BRANCH_A), cmd)


async def test_an_inflow_is_registered_by_its_host_and_the_host_reaches_that_member_afterwards() -> None:
    store = a_county()
    inflow = b.register_inflow(member_id="m-9", host_org_id=BRANCH_A)
    assert await refused(store, host(BRANCH_B), inflow)
    assert not await refused(store, host(BRANCH_A), inflow)
    state = members.INITIAL
    events = b.decide(state, inflow, host_org=_state(store, BRANCH_A))
    store.add("m-9", "member", *events)
    place = await access.place_of(store, b.record_contact(member_id="m-9"))
    assert place.org_id == BRANCH_A and place.township_id == TOWN_A and BRANCH_A in place.host_org_ids
    assert not await refused(store, township(TOWN_A), b.record_contact(member_id="m-9"))
    assert await refused(store, township(TOWN_B), b.record_contact(member_id="m-9"))


async def test_a_host_the_member_reported_to_reaches_them_and_another_host_does_not() -> None:
    store = with_member(a_county(), "m-1", BRANCH_A, b.outflow(), b.report_to_host(host_org_id="host-dg"))
    assert not await refused(store, host("host-dg"), b.record_contact())
    assert await refused(store, host("host-elsewhere"), b.record_contact())


async def test_the_receiving_organisation_receives_the_member_and_nobody_else_outside_does() -> None:
    store = with_member(a_county(), "m-1", BRANCH_A, b.request_transfer(to_org_id=BRANCH_B),
                        b.approve_transfer(actor=township(TOWN_A)))
    receive = b.receive_transfer()
    assert await access.place_of(store, receive) == Place.of(
        BRANCH_B, TOWN_B, hosts=(BRANCH_B,), people=("m-1",))
    assert not await refused(store, secretary(BRANCH_B), receive)
    assert not await refused(store, township(TOWN_B), receive)
    assert await refused(store, secretary("b-other"), receive)
    # Everything else stays with the sending side until the member is received.
    assert await refused(store, township(TOWN_B), b.cancel_transfer(actor=township(TOWN_B)))
    assert not await refused(store, host(BRANCH_B), b.return_receipt())  # the receiving org is a host meanwhile


# --- Development cases ----------------------------------------------------------------------------------------

async def test_a_case_is_placed_at_its_organisation_and_with_its_applicant() -> None:
    store = a_county()
    submit = d.apply(person_id="p-1", org_id=BRANCH_A)
    assert await refused(store, township(TOWN_B), submit)
    assert not await refused(store, secretary(BRANCH_A), submit)
    store.add("p-1", "member", *d.decide(development.INITIAL, submit))
    interview = replace(d.interview(), person_id="p-1")
    assert await access.place_of(store, interview) == Place.of(BRANCH_A, TOWN_A, people=("p-1",))
    assert await refused(store, township(TOWN_B), interview)
    assert not await refused(store, township(TOWN_A), interview)


async def test_a_step_on_a_case_that_does_not_exist_is_the_countys_alone() -> None:
    store = a_county()
    assert await refused(store, township(TOWN_A), replace(d.interview(), person_id="nobody"))


# --- Dues -----------------------------------------------------------------------------------------------------

async def test_dues_are_placed_with_the_member() -> None:
    store = with_member(a_county())
    account = OpenAccount(actor=secretary(BRANCH_A), today=TODAY, member_id="m-1", org_id=BRANCH_A,
                          category=DuesCategory.WAGE_EARNER, base=Decimal("3000"), owed_from="2026-01")
    payment = RecordPayment(actor=secretary(BRANCH_A), today=TODAY, member_id="m-1", payment_id="pay-1",
                            months=("2026-01",), amount=Decimal("15"), paid_on=TODAY)
    for cmd in (account, payment):
        assert await refused(store, township(TOWN_B), cmd)
        assert await refused(store, secretary(BRANCH_B), cmd)
        assert not await refused(store, township(TOWN_A), cmd)


async def test_only_the_county_publishes_a_dues_scale() -> None:
    cmd = PublishDuesScale.__new__(PublishDuesScale)
    assert await access.place_of(FakeStore(), cmd) == access.COUNTY
    assert await refused(FakeStore(), township(TOWN_A), cmd)


async def test_dues_are_continued_by_the_organisation_the_member_was_received_at_only() -> None:
    store = with_member(a_county(), "m-1", BRANCH_A, b.request_transfer(to_org_id=BRANCH_B),
                        b.approve_transfer(actor=township(TOWN_A)))

    def cont(to: str) -> ContinueAfterTransfer:
        return ContinueAfterTransfer(actor=secretary(to), today=TODAY, member_id="m-1", to_org_id=to,
                                     letter_number="ZZ-2026-0101", paid_up_to="2026-12", received_on=TODAY)

    assert not await refused(store, secretary(BRANCH_B), cont(BRANCH_B))
    # Naming one's own organisation as the receiver does not reach a member transferred elsewhere.
    assert await refused(store, township(TOWN_B), cont("b-elsewhere"))


async def test_a_command_without_a_scope_rule_is_refused_to_all_but_the_county() -> None:
    assert await refused(FakeStore(), township(TOWN_A), object())
    assert not await refused(FakeStore(), Actor(subject="a", role=Role.COUNTY_ADMIN), object())


@pytest.mark.parametrize("role", [Role.TOWNSHIP_COMMITTEE, Role.BRANCH_SECRETARY, Role.HOST_ORGANISATION])
async def test_the_county_loads_nothing_and_others_load_only_what_they_need(role: Role) -> None:
    store = with_member(a_county())
    before = store.loads
    await access.authorize(store, Actor(subject="a", role=Role.COUNTY_ADMIN), b.outflow())
    assert store.loads == before
    await refused(store, Actor(subject="x", role=role, org_id="x"), b.outflow())
    assert store.loads - before <= access.MAX_DEPTH + 1


def test_membership_hands_the_kernel_this_one_scope_decision() -> None:
    from services.membership.contract.service import SERVICE

    assert SERVICE.authorize is access.authorize
