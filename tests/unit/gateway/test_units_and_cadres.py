"""The units and cadres read models: headcount history per unit, each cadre's post as it stands."""

from __future__ import annotations

from datetime import date

from services.gateway.readmodels import cadres, units
from services.secondment.contract.events import (
    CadreLinkedToMember,
    CadrePostChanged,
    CadreRegistered,
    UnitHeadcountChanged,
    UnitRegistered,
)
from tests.unit.gateway.builders import Q, assigned, envelope, event, row, target


def test_a_registered_unit_gets_its_row_and_its_first_headcount() -> None:
    ops = units.apply(Q, envelope(), event(UnitRegistered, unit_id="u-1", township_id="township-a", headcount=40,
                                           effective_from=date(2024, 1, 1)))
    assert [target(op) for op in ops] == ["units_view", "unit_headcounts"]
    assert (row(ops[1])["unit_id"], row(ops[1])["effective_from"], row(ops[1])["headcount"]) == (
        "u-1", date(2024, 1, 1), 40)


def test_a_headcount_change_adds_to_the_history_and_corrects_a_day_already_recorded() -> None:
    ops = units.apply(Q, envelope(), event(UnitHeadcountChanged, unit_id="u-1", headcount=38,
                                           effective_from=date(2024, 7, 1)))
    assert [target(op) for op in ops] == ["unit_headcounts"]
    assert "ON CONFLICT (unit_id, effective_from) DO UPDATE SET headcount = EXCLUDED.headcount" in ops[0][0]


def test_a_cadre_is_registered_and_their_post_changes_in_place() -> None:
    registered = cadres.apply(Q, envelope(), event(CadreRegistered, cadre_id="c-1", post="clerk"))
    changed = cadres.apply(Q, envelope(), event(CadrePostChanged, cadre_id="c-1", post="deputy head", rank="r2"))
    assert row(registered[0])["post"] == "clerk"
    assert {k: assigned(changed[0])[k] for k in ("cadre_id", "post", "rank")} == {
        "cadre_id": "c-1", "post": "deputy head", "rank": "r2"}
    assert units.apply(Q, envelope(), event(CadreRegistered)) == []


def test_a_cadres_link_to_a_member_record_is_kept_on_the_cadres_row() -> None:
    (op,) = cadres.apply(Q, envelope(), event(CadreLinkedToMember, cadre_id="c-1", member_id="m-9",
                                              linked_on=date(2025, 3, 1)))
    assert target(op) == "cadres_view"
    assert {k: assigned(op)[k] for k in ("cadre_id", "member_id", "linked_on")} == {
        "cadre_id": "c-1", "member_id": "m-9", "linked_on": date(2025, 3, 1)}
