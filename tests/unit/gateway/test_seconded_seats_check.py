"""The gateway checks a seconded cadre's committee seat against the secondment read models before forwarding."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from services.gateway import seconded_seats as check
from services.gateway.command_checks import CHECKS
from services.kernel.bodies import body_model
from services.membership.contract.commands.branches import ElectCommittee
from services.pure.errors import StateConflict
from services.pure.identity import Actor, Role

ACTOR = Actor(subject="sec", role=Role.BRANCH_SECRETARY, org_id="b-1")
DAY = date(2026, 11, 30)
REQUEST: Any = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(read_pool="read-pool")))


def body(*seats: dict[str, Any]) -> Any:
    """The election's body as the gateway validates it (the same model membership reads)."""
    model = body_model(ElectCommittee, ("org_id",))
    return model.model_validate({"elected_on": DAY.isoformat(), "seats": [
        {"member_id": "m-1", "duties": ["secretary"]}, *seats]})


@pytest.fixture
def records(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, date]]:
    """The secondment records: x-1 is cadre c-1 on secondment s-1 at b-1; every look-up is noted."""
    asked: list[tuple[str, str, date]] = []

    async def seconded_to_branch(pool: Any, member_id: str, branch_id: str, on: date) -> tuple[str, str] | None:
        assert pool == "read-pool"
        asked.append((member_id, branch_id, on))
        return ("c-1", "s-1") if (member_id, branch_id) == ("x-1", "b-1") else None

    monkeypatch.setattr(check, "seconded_to_branch", seconded_to_branch)
    return asked


async def test_the_election_is_checked_by_the_seconded_seats_rule() -> None:
    assert CHECKS[ElectCommittee] is check.seconded_seats


async def test_an_election_without_seconded_seats_looks_nothing_up(records: list[Any]) -> None:
    await check.seconded_seats(REQUEST, ACTOR, {"org_id": "b-1"}, body({"member_id": "m-2"}))
    assert records == []


async def test_a_seat_naming_the_cadre_and_secondment_the_records_show_goes_on(records: list[Any]) -> None:
    seat = {"member_id": "x-1", "seconded_cadre": True, "cadre_id": "c-1", "secondment_id": "s-1"}
    await check.seconded_seats(REQUEST, ACTOR, {"org_id": "b-1"}, body(seat))
    assert records == [("x-1", "b-1", DAY)]


async def test_a_member_who_is_no_seconded_cadre_at_this_branch_is_refused_saying_what_is_missing(
    records: list[Any],
) -> None:
    seat = {"member_id": "x-2", "seconded_cadre": True, "cadre_id": "c-1", "secondment_id": "s-1"}
    with pytest.raises(StateConflict, match=r"link the cadre to the member .* start a secondment placed at this"):
        await check.seconded_seats(REQUEST, ACTOR, {"org_id": "b-1"}, body(seat))
    with pytest.raises(StateConflict, match="not a seconded cadre at b-9"):
        await check.seconded_seats(REQUEST, ACTOR, {"org_id": "b-9"}, body({**seat, "member_id": "x-1"}))


async def test_a_seat_naming_another_cadre_or_secondment_is_refused_naming_the_ones_on_record(
    records: list[Any],
) -> None:
    for claimed in ({"cadre_id": "c-2", "secondment_id": "s-1"}, {"cadre_id": "c-1", "secondment_id": None}):
        seat = {"member_id": "x-1", "seconded_cadre": True, **claimed}
        with pytest.raises(StateConflict, match="as cadre c-1 on secondment s-1 at b-1"):
            await check.seconded_seats(REQUEST, ACTOR, {"org_id": "b-1"}, body(seat))
