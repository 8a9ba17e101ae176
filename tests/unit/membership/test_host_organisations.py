"""Host-locality organisations (A: dual guidance, 双重指导): a record, not a label; the branches linked to it, its
scope over them, and the organisational life it holds for their members."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import orjson
import pytest

from services.kernel.events import EventRegistry
from services.membership import access
from services.membership.contract.commands.branches import LinkHostGuidance, RegisterHostOrganisation
from services.membership.contract.events import branches as branch_events
from services.membership.contract.events.branches import (
    BranchEstablished,
    HostGuidanceLinked,
    HostOrganisationRegistered,
    OrgKind,
)
from services.membership.contract.events.meetings import MeetingKind, MeetingRecorded
from services.membership.domain import branches, meetings
from services.membership.domain.branches import Organisation
from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.pure.scope import reaches
from tests.unit.membership.builders import ADMIN, TODAY, TOWNSHIP, an_established_branch, establish, record_meeting
from tests.unit.membership.test_access import BRANCH_A, TOWN_A, a_county, host, refused, secretary, with_member

HOST_ID = "host-longhua"
HOST = Actor(subject="clerk", role=Role.HOST_ORGANISATION, org_id=HOST_ID)


def register(**overrides: Any) -> RegisterHostOrganisation:
    cmd = RegisterHostOrganisation(actor=ADMIN, today=TODAY, org_id=HOST_ID, name="Longhua street Party committee",
                                   locality="Longhua, Shenzhen", registered_on=date(2026, 2, 1))
    return replace(cmd, **overrides)


def a_host(**overrides: Any) -> Organisation:
    (event,) = branches.decide(branches.INITIAL, register(**overrides))
    return branches.evolve(branches.INITIAL, event)


def link(**overrides: Any) -> LinkHostGuidance:
    cmd = LinkHostGuidance(actor=TOWNSHIP, today=TODAY, org_id="b-1", host_org_id=HOST_ID, linked_on=date(2026, 4, 1))
    return replace(cmd, **overrides)


# --- the record ---------------------------------------------------------------------------------------------


def test_the_county_registers_a_host_organisation_outside_its_tree() -> None:
    host_org = a_host()
    assert (host_org.kind, host_org.parent_id, host_org.name) == (
        OrgKind.HOST_ORGANISATION, None, "Longhua street Party committee")
    with pytest.raises(Forbidden, match="only county_admin may register a host organisation"):
        branches.decide(branches.INITIAL, register(actor=TOWNSHIP))
    with pytest.raises(AlreadyExists, match="already on record as a host_organisation"):
        branches.decide(host_org, register())
    with pytest.raises(DomainError, match="locality must say where"):
        branches.decide(branches.INITIAL, register(locality=" "))


def test_a_branch_established_with_a_registered_host_is_linked_to_it_and_named_after_it() -> None:
    (event,) = branches.decide(branches.INITIAL, establish(host_org_id=HOST_ID, host_guidance_org=None),
                               host=a_host())
    assert isinstance(event, BranchEstablished)
    assert (event.host_org_id, event.host_guidance_org) == (HOST_ID, "Longhua street Party committee")
    assert branches.evolve(branches.INITIAL, event).host_org_id == HOST_ID


def test_a_branch_cannot_be_linked_to_a_host_that_is_not_on_record_or_not_a_host() -> None:
    with pytest.raises(NotFound, match="no host organisation host-longhua is on record; register it first"):
        branches.decide(branches.INITIAL, establish(host_org_id=HOST_ID), host=branches.INITIAL)
    with pytest.raises(DomainError, match="b-1 is a branch of the county's tree, not a host organisation"):
        branches.decide(branches.INITIAL, establish(branch_id="b-2", host_org_id="b-1"), host=an_established_branch())


def test_a_label_alone_is_kept_until_the_host_is_registered_and_a_branch_names_one_or_the_other() -> None:
    (event,) = branches.decide(branches.INITIAL, establish(host_guidance_org="Longhua street committee"))
    assert isinstance(event, BranchEstablished) and event.host_org_id is None
    with pytest.raises(DomainError, match="name the host organisation that guides the branch: host_org_id"):
        branches.decide(branches.INITIAL, establish(host_guidance_org=" "))


def test_the_home_township_links_its_branch_to_the_host_that_guides_it() -> None:
    (event,) = branches.decide(an_established_branch(), link(), host=a_host())
    assert isinstance(event, HostGuidanceLinked) and event.host_name == "Longhua street Party committee"
    linked = branches.evolve(an_established_branch(), event)
    assert (linked.host_org_id, linked.host_guidance_org) == (HOST_ID, "Longhua street Party committee")
    with pytest.raises(StateConflict, match="already guided by host-longhua"):
        branches.decide(linked, link(), host=a_host())


def test_only_the_home_organisation_or_the_county_links_a_branch_and_only_an_outstation_branch() -> None:
    other = Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id="township-z")
    with pytest.raises(Forbidden, match="only the home organisation township-a links this branch"):
        branches.decide(an_established_branch(), link(actor=other), host=a_host())
    with pytest.raises(Forbidden, match="only county_admin, township_committee may link"):
        branches.decide(an_established_branch(), link(actor=HOST), host=a_host())
    with pytest.raises(DomainError, match="is not an outstation branch"):
        branches.decide(a_host(org_id="host-2"), link(actor=ADMIN, org_id="host-2"), host=a_host())
    with pytest.raises(DomainError, match="before the branch was established"):
        branches.decide(an_established_branch(), link(linked_on=date(2026, 1, 1)), host=a_host())


def test_a_branch_established_before_the_link_reads_as_before() -> None:
    registry: EventRegistry[Any] = EventRegistry(source="/test", events=branch_events.EVENTS)
    (event,) = branches.decide(branches.INITIAL, establish())
    data = orjson.loads(registry.encode(event))
    del data["host_org_id"]  # as written before the link existed
    old = registry.decode(registry.wire_name(event), orjson.dumps(data))
    assert isinstance(old, BranchEstablished) and old.host_org_id is None
    assert old.host_guidance_org == "Longhua street committee"
    for new in (*branches.decide(branches.INITIAL, register()), HostGuidanceLinked(
            org_id="b-1", host_org_id=HOST_ID, host_name="n", linked_on=TODAY, actor="a", approving_org_id="t")):
        assert isinstance(new, HostOrganisationRegistered | HostGuidanceLinked)
        assert registry.decode(registry.wire_name(new), registry.encode(new)) == new


# --- the host's meetings ------------------------------------------------------------------------------------


def hold(**overrides: Any) -> MeetingRecorded:
    given = {"actor": HOST, "org_id": HOST_ID, "kind": MeetingKind.THEME_DAY, "present_ids": ("m-1",),
             "absent_ids": (), **overrides}
    cmd = record_meeting(**given)
    context = {"organisation": a_host(), "formal_member_ids": frozenset({"m-1", "m-2", "h-1"}),
               "certificate_holder_ids": frozenset({"h-1"})}
    (event,) = meetings.decide(meetings.INITIAL, cmd, **context)
    assert isinstance(event, MeetingRecorded)
    return event


def test_the_host_records_the_meeting_it_held_and_who_of_its_guests_attended_none_voting() -> None:
    event = hold(certificate_holders_present=("h-1",))
    assert (event.org_id, event.host_meeting, event.present_ids, event.certificate_holders_present) == (
        HOST_ID, True, ("m-1",), ("h-1",))
    assert (event.entitled_voters, event.voters_present, event.quorum_met) == (0, 0, None)
    assert hold(kind=MeetingKind.GENERAL_MEETING).quorum_met is None  # its own members are not on this roll


def test_a_host_records_only_members_in_its_scope() -> None:
    with pytest.raises(DomainError, match=r"present_ids must be members host-longhua hosts .* not: m-9 — link"):
        hold(present_ids=("m-1", "m-9"))
    with pytest.raises(DomainError, match="absent_ids must be members host-longhua hosts"):
        hold(absent_ids=("m-9",))
    with pytest.raises(DomainError, match="present_ids is empty"):
        hold(present_ids=())


def test_a_host_does_not_record_its_committee_here() -> None:
    with pytest.raises(DomainError, match="its committee meets on its own records"):
        hold(kind=MeetingKind.COMMITTEE)


@pytest.mark.parametrize("actor", [Actor(subject="x", role=Role.HOST_ORGANISATION, org_id="host-other"),
                                   Actor(subject="s", role=Role.BRANCH_SECRETARY, org_id="b-1"), TOWNSHIP])
def test_only_the_host_itself_or_the_county_records_its_meetings(actor: Actor) -> None:
    with pytest.raises(Forbidden, match="meetings of host organisation host-longhua are recorded by it"):
        hold(actor=actor)
    assert hold(actor=ADMIN).host_meeting


# --- the host's scope, derived from the link ----------------------------------------------------------------


def linked_county() -> Any:
    store = a_county()
    store.add(HOST_ID, "branch", *branches.decide(branches.INITIAL, register()))
    branch = branches.INITIAL
    for r in store.streams[BRANCH_A]:
        branch = branches.evolve(branch, r.event)
    store.add(BRANCH_A, "branch", *branches.decide(branch, link(org_id=BRANCH_A), host=a_host()))
    return store


async def test_the_host_reaches_the_branch_linked_to_it_and_its_members_and_no_other_host_does() -> None:
    store = with_member(linked_county(), "m-1", BRANCH_A)
    member = await access.person_place(store, "m-1")
    branch = await access.org_place(store, BRANCH_A)
    assert reaches(host(HOST_ID), member) and reaches(host(HOST_ID), branch)
    assert not reaches(host("host-other"), member) and not reaches(host("host-other"), branch)
    unlinked = with_member(a_county(), "m-1", BRANCH_A)
    assert not reaches(host(HOST_ID), await access.person_place(unlinked, "m-1"))  # a label reaches nothing


async def test_a_host_organisations_own_meetings_are_placed_at_it_under_no_township() -> None:
    store = linked_county()
    place = await access.org_place(store, HOST_ID)
    assert (place.org_id, place.township_id) == (HOST_ID, None)
    meeting = record_meeting(actor=host(HOST_ID), org_id=HOST_ID)
    assert not await refused(store, host(HOST_ID), meeting)
    assert await refused(store, host("host-other"), meeting)
    assert await refused(store, secretary(BRANCH_A), meeting)
    assert await refused(store, Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id=TOWN_A), meeting)


async def test_registering_a_host_is_the_countys_and_linking_is_the_branchs_township() -> None:
    store = a_county()
    assert await access.place_of(store, register()) == access.COUNTY
    assert not await refused(store, Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id=TOWN_A),
                             link(org_id=BRANCH_A))
    assert await refused(store, host(HOST_ID), link(org_id=BRANCH_A))


def test_a_host_does_not_record_the_meetings_of_a_branch_it_guides() -> None:
    guided = replace(an_established_branch(), host_org_id=HOST_ID)
    with pytest.raises(Forbidden, match=r"host_organisation .* cannot record meetings of b-1"):
        meetings.decide(meetings.INITIAL, record_meeting(actor=HOST), organisation=guided,
                        formal_member_ids=frozenset({"m-1", "m-2", "m-3"}))
