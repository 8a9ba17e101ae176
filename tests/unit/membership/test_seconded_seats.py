"""A seconded cadre sits on an outstation branch's committee while their relationship stays at home (A: 外出锻炼)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
import pytest

from services.kernel.events import EventRegistry
from services.membership.contract.events.branches import EVENTS, CommitteeDuty, CommitteeElected, CommitteeSeat
from services.membership.domain import branches
from services.pure.errors import DomainError, StateConflict
from tests.unit.membership.builders import an_established_branch, committee_seats, elect_committee, roster

#: Full member of his home branch b-home, out on secondment s-1 as cadre c-1, placed at b-1.
CADRE_SEAT = CommitteeSeat(member_id="x-1", duties=(CommitteeDuty.PROPAGANDA,), seconded_cadre=True,
                           cadre_id="c-1", secondment_id="s-1")
HOMES = {"x-1": "b-home"}


def seats_with(seat: CommitteeSeat) -> tuple[CommitteeSeat, ...]:
    """m-1 secretary, m-2 organisation and discipline, and ``seat`` holding propaganda."""
    return (*committee_seats(2), seat)


def elect(seat: CommitteeSeat = CADRE_SEAT, **context: Any) -> CommitteeElected:
    context = {"full_member_ids": roster(9), "seconded_homes": HOMES, **context}
    (event,) = branches.decide(an_established_branch(), elect_committee(seats=seats_with(seat)), **context)
    assert isinstance(event, CommitteeElected)
    return event


def test_a_seconded_cadre_takes_a_seat_and_the_event_names_the_cadre_the_secondment_and_the_home_branch() -> None:
    seat = elect().seats[2]
    assert (seat.member_id, seat.seconded_cadre, seat.cadre_id, seat.secondment_id, seat.home_org_id) == (
        "x-1", True, "c-1", "s-1", "b-home")
    assert seat.duties == (CommitteeDuty.PROPAGANDA,)


def test_a_seconded_cadre_may_be_the_secretary() -> None:
    secretary = CommitteeSeat(member_id="x-1", duties=(CommitteeDuty.SECRETARY,), seconded_cadre=True,
                              cadre_id="c-1", secondment_id="s-1")
    seats = (secretary, *committee_seats(3)[1:])
    (event,) = branches.decide(an_established_branch(), elect_committee(seats=seats), full_member_ids=roster(9),
                               seconded_homes=HOMES)
    assert isinstance(event, CommitteeElected) and event.secretary_id == "x-1"


def test_the_home_branch_is_the_one_membership_records_whatever_the_client_sends() -> None:
    assert elect(replace(CADRE_SEAT, home_org_id="b-made-up")).seats[2].home_org_id == "b-home"


def test_a_seat_asked_for_as_a_seconded_cadres_without_the_evidence_is_refused() -> None:
    for seat in (replace(CADRE_SEAT, cadre_id=None), replace(CADRE_SEAT, secondment_id="  ")):
        with pytest.raises(StateConflict, match="link the cadre to the member and start a secondment placed here"):
            elect(seat)


def test_a_member_of_another_branch_without_the_seconded_mark_is_refused_as_before() -> None:
    with pytest.raises(DomainError, match=r"not full members: x-1 .*seat marked seconded_cadre"):
        elect(replace(CADRE_SEAT, seconded_cadre=False, cadre_id=None, secondment_id=None))
    with pytest.raises(DomainError, match="names a cadre or secondment but is not marked seconded_cadre"):
        elect(replace(CADRE_SEAT, member_id="m-3", seconded_cadre=False))


def test_a_seconded_seat_needs_a_full_member_of_their_home_organisation_on_the_election_day() -> None:
    with pytest.raises(DomainError, match="x-1 is not a full member anywhere on the election day"):
        elect(seconded_homes={})


def test_a_full_member_of_the_branch_itself_sits_in_an_ordinary_seat() -> None:
    with pytest.raises(DomainError, match="m-3 is a full member of b-1: elect them to an ordinary seat"):
        elect(replace(CADRE_SEAT, member_id="m-3"))


def test_a_seconded_cadre_does_not_count_towards_the_seven_full_members_a_committee_needs() -> None:
    with pytest.raises(DomainError, match="at least 7 full members; this organisation has 6"):
        elect(full_member_ids=roster(6))


def test_a_cadre_holds_one_seat() -> None:
    with pytest.raises(DomainError, match="a member holds one seat"):
        branches.decide(an_established_branch(),
                        elect_committee(seats=(*seats_with(CADRE_SEAT), replace(CADRE_SEAT, duties=()))),
                        full_member_ids=roster(9), seconded_homes=HOMES)


def test_the_seats_of_an_older_event_read_as_ordinary_seats() -> None:
    registry: EventRegistry[Any] = EventRegistry(source="/test", events=EVENTS)
    event = elect()
    assert registry.decode(registry.wire_name(event), registry.encode(event)) == event
    data = orjson.loads(registry.encode(event))
    data["seats"] = [{"member_id": "m-1", "duties": ["secretary"], "entrepreneur": False}]  # as written before
    old = registry.decode(registry.wire_name(event), orjson.dumps(data))
    assert isinstance(old, CommitteeElected)
    assert old.seats == (CommitteeSeat(member_id="m-1", duties=(CommitteeDuty.SECRETARY,)),)
    assert not old.seats[0].seconded_cadre and old.seats[0].home_org_id is None
