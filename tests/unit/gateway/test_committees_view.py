"""The committee read (``committees_view``): who sits on an organisation's committee, a seconded cadre as such."""

from __future__ import annotations

from typing import Any

import orjson

from services.gateway.readmodels import organisations
from services.membership.contract.events.branches import (
    CommitteeDuty,
    CommitteeElected,
    CommitteeSeat,
    SecretaryApproved,
    SecretaryElected,
)
from tests.unit.gateway.builders import Q, envelope, event, row, target

SEATS = (CommitteeSeat(member_id="m-1", duties=(CommitteeDuty.SECRETARY,)),
         CommitteeSeat(member_id="x-1", duties=(CommitteeDuty.PROPAGANDA,), seconded_cadre=True, cadre_id="c-1",
                       secondment_id="s-1", home_org_id="b-home"))


def seats_of(op: Any) -> list[dict[str, Any]]:
    seats: list[dict[str, Any]] = orjson.loads(row(op)["seats"])
    return seats


def test_a_seconded_cadres_seat_shows_the_cadre_the_secondment_and_the_home_organisation() -> None:
    (op,) = organisations.apply(Q, envelope(7), event(CommitteeElected, org_id="b-1", seats=SEATS, secretary_id="m-1"))
    assert target(op) == "committees_view" and row(op)["secretary_id"] == "m-1"
    ordinary, cadre = seats_of(op)
    assert (ordinary["seconded_cadre"], ordinary["home_org_id"]) == (False, None)
    assert (cadre["member_id"], cadre["duties"], cadre["seconded_cadre"], cadre["cadre_id"], cadre["secondment_id"],
            cadre["home_org_id"]) == ("x-1", ["propaganda"], True, "c-1", "s-1", "b-home")
    assert "secretary_approved = false" in op[0]


def test_a_secretary_without_a_committee_is_shown_with_their_deputy() -> None:
    (op,) = organisations.apply(Q, envelope(), event(SecretaryElected, org_id="b-1", secretary_id="m-1",
                                                     deputy_secretary_id="m-2", secretary_entrepreneur=True))
    assert [(s["member_id"], s["duties"], s["entrepreneur"]) for s in seats_of(op)] == [
        ("m-1", ["secretary"], True), ("m-2", ["deputy_secretary"], False)]


def test_the_higher_organisations_approval_marks_the_secretary_approved() -> None:
    (op,) = organisations.apply(Q, envelope(9), event(SecretaryApproved, org_id="b-1"))
    assert op == (f"UPDATE {Q}.committees_view SET secretary_approved = true, position = $2 WHERE org_id = $1",
                  ("b-1", 9))
