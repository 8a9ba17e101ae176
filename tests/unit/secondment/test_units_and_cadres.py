"""Township organs and stations with effective-dated headcount; cadres whose post stays unchanged while away."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.pure.policy_data import POLICY_STREAM
from services.secondment.contract.commands import ChangeHeadcount, ChangePost, LinkMember
from services.secondment.contract.events import CadreLinkedToMember
from services.secondment.domain import cadres, units
from tests.unit.secondment.builders import COUNTY, OTHER_SENDER, SENDER, TODAY, a_cadre, a_unit, register_cadre, unit


def headcount(n: int, on: date = date(2025, 1, 1), **o: object) -> ChangeHeadcount:
    return replace(ChangeHeadcount(actor=SENDER, today=TODAY, unit_id="u-1", headcount=n, effective_from=on,
                                   reason="new establishment"), **o)  # type: ignore[arg-type]


def test_a_unit_is_registered_by_its_own_township_and_once() -> None:
    with pytest.raises(Forbidden, match="township-b cannot register a unit"):
        units.decide(units.INITIAL, unit(actor=OTHER_SENDER))
    with pytest.raises(AlreadyExists, match="already registered"):
        units.decide(a_unit(), unit())


def test_a_unit_joins_only_the_register_of_the_committee_that_registers_it() -> None:
    # Township A's committee naming B as the township of a unit called after itself would read B as its own.
    with pytest.raises(Forbidden, match="township-a cannot register a unit in township-b"):
        units.decide(units.INITIAL, unit(unit_id="township-a", township_id="township-b"))
    # A unit's own token cannot vouch for the township it would belong to.
    unit_token = Actor(subject="u-1-hr", role=Role.TOWNSHIP_COMMITTEE, org_id="u-1")
    with pytest.raises(Forbidden, match="u-1 cannot register a unit in township-a"):
        units.decide(units.INITIAL, unit(actor=unit_token))
    member = Actor(subject="m-1", role=Role.MEMBER, org_id="township-a")
    with pytest.raises(Forbidden, match="its township committee or the county"):
        units.decide(units.INITIAL, unit(actor=member))
    (event,) = units.decide(units.INITIAL, unit(actor=COUNTY, township_id="township-b"))
    assert event.township_id == "township-b"


def test_a_unit_and_a_township_never_share_an_id() -> None:
    with pytest.raises(DomainError, match="township-a is a township's id"):
        units.decide(units.INITIAL, unit(unit_id="township-a"))
    with pytest.raises(DomainError, match="u-9 is a township's id"):
        units.decide(units.INITIAL, unit(unit_id="u-9"), unit_is_township=True)
    with pytest.raises(DomainError, match="township-a is a registered unit, not a township"):
        units.decide(units.INITIAL, unit(), township_is_unit=True)
    # A unit token still changes its own unit's headcount.
    unit_token = Actor(subject="u-1-hr", role=Role.TOWNSHIP_COMMITTEE, org_id="u-1")
    (changed,) = units.decide(a_unit(), headcount(41, actor=unit_token))
    assert changed.headcount == 41


def test_a_headcount_is_never_negative() -> None:
    with pytest.raises(DomainError, match="cannot be negative"):
        units.decide(units.INITIAL, unit(headcount=-1))
    with pytest.raises(DomainError, match="cannot be negative"):
        units.decide(a_unit(), headcount(-1))


def test_headcount_changes_take_effect_from_their_date_and_a_same_date_change_corrects_it() -> None:
    state = a_unit(headcount=40)
    for command in (headcount(50, date(2025, 1, 1)), headcount(45, date(2024, 7, 1)), headcount(48, date(2025, 1, 1))):
        (event,) = units.decide(state, command)
        state = units.evolve(state, event)
    assert [state.headcount_on(d) for d in (date(2023, 12, 31), date(2024, 1, 1), date(2024, 7, 1),
                                             date(2024, 12, 31), date(2025, 1, 1))] == [0, 40, 45, 45, 48]
    with pytest.raises(StateConflict, match="already 48"):
        units.decide(state, headcount(48, date(2025, 1, 1)))


def test_a_headcount_cannot_predate_the_registration() -> None:
    with pytest.raises(DomainError, match="registered from 2024-01-01"):
        units.decide(a_unit(), headcount(30, date(2023, 12, 31)))
    with pytest.raises(NotFound, match="register it first"):
        units.decide(units.INITIAL, headcount(30))


def test_a_cadre_belongs_to_a_registered_unit() -> None:
    with pytest.raises(NotFound, match="register the unit before its cadres"):
        cadres.decide(cadres.INITIAL, register_cadre(unit_id="u-2"), unit=a_unit())
    with pytest.raises(TypeError, match="RegisterCadre needs the fact unit"):
        cadres.decide(cadres.INITIAL, register_cadre())
    assert a_cadre().township_id == "township-a"


def change(**o: object) -> ChangePost:
    return replace(ChangePost(actor=SENDER, today=TODAY, cadre_id="c-1", post="head of station", rank="deputy chief",
                              pay_grade="grade 6", changed_on=date(2024, 1, 1)), **o)  # type: ignore[arg-type]


def test_a_cadres_post_stays_unchanged_while_away_and_changes_otherwise() -> None:
    with pytest.raises(StateConflict, match="post, rank and pay stay unchanged"):
        cadres.decide(a_cadre(), change(), away=True)
    (event,) = cadres.decide(a_cadre(), change(), away=False)
    assert cadres.evolve(a_cadre(), event).snapshot().post == "head of station"


def test_another_townships_sending_unit_cannot_change_the_post() -> None:
    with pytest.raises(Forbidden, match="township-b cannot change a cadre's post"):
        cadres.decide(a_cadre(), change(actor=OTHER_SENDER), away=False)


def link(member_id: str = "m-1", on: date = date(2024, 2, 1), **o: object) -> LinkMember:
    return replace(LinkMember(actor=SENDER, today=TODAY, cadre_id="c-1", member_id=member_id, linked_on=on),
                   **o)  # type: ignore[arg-type]


def test_a_cadre_is_linked_to_the_member_record_of_the_same_person() -> None:
    (event,) = cadres.decide(a_cadre(), link(" m-1 "))
    assert event == CadreLinkedToMember(cadre_id="c-1", member_id="m-1", linked_on=date(2024, 2, 1),
                                        actor=SENDER.label)
    linked = cadres.evolve(a_cadre(), event)
    assert (linked.member_id, linked.linked_on) == ("m-1", date(2024, 2, 1))


def test_a_cadre_is_linked_once_and_never_to_a_second_member_record() -> None:
    linked = cadres.evolve(a_cadre(), cadres.decide(a_cadre(), link())[0])
    with pytest.raises(StateConflict, match="already linked to member m-1"):
        cadres.decide(linked, link())
    with pytest.raises(StateConflict, match="a second member record cannot be linked"):
        cadres.decide(linked, link("m-2"))


def test_a_link_needs_the_cadre_a_member_id_and_a_day_from_the_registration_on() -> None:
    with pytest.raises(NotFound, match="register the cadre first"):
        cadres.decide(cadres.INITIAL, link())
    with pytest.raises(DomainError, match="the member id is required"):
        cadres.decide(a_cadre(), link("  "))
    registered = a_cadre().registered_on
    assert registered is not None
    with pytest.raises(DomainError, match="before the cadre's registration"):
        cadres.decide(a_cadre(), link(on=registered - timedelta(days=1)))
    assert cadres.decide(a_cadre(), link(on=registered))
    with pytest.raises(DomainError, match="future"):
        cadres.decide(a_cadre(), link(on=TODAY + timedelta(days=1)))


def test_another_townships_sending_unit_cannot_link_the_cadre() -> None:
    with pytest.raises(Forbidden, match="township-b cannot link a cadre to a member record"):
        cadres.decide(a_cadre(), link(actor=OTHER_SENDER))


def test_a_units_code_may_not_be_the_name_of_secondments_policy_stream() -> None:
    # The unit's stream would be the policy's: the county could never publish a policy change again.
    with pytest.raises(DomainError, match="a name the system keeps for its own records"):
        units.decide(units.INITIAL, unit(unit_id=POLICY_STREAM))
    with pytest.raises(DomainError, match="spaces around it"):
        units.decide(units.INITIAL, unit(unit_id="u-1 "))
