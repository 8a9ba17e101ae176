"""Rules that span records hold with two instances of a service on one store (issue 15: scale-out).

The running system's instance and a second one this test starts itself (the same command and environment
as the runner's, on another port: tests/e2e/instances.py) get the racing commands between them, signed as
the gateway signs them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from services.investment.contract.service import SERVICE as INVESTMENT
from services.kernel.settings import Settings
from services.secondment.contract.service import SERVICE as SECONDMENT
from tests.e2e.instances import second_instance, signed_sender
from tests.e2e.secondment_steps import cadre_body, lead_body, placement, post, unique

REGISTRATIONS = 6
#: Cadres nominated twice at once, one nomination on each instance: each pair is one chance of the race.
CADRES = 3


async def test_six_registrations_of_one_project_on_two_investment_instances_give_one_first_referral(
    system: Settings, investment_db: asyncpg.Pool, tmp_path: Path,
) -> None:
    investor, project, township = unique("Investor"), unique("Project"), unique("township")
    bodies = [lead_body(township, registrant_id=f"branch-{i}", branch_id=f"branch-{i}", investor=investor,
                        project=project) for i in range(REGISTRATIONS)]
    async with second_instance(system, "investment", tmp_path / "investment-2.log") as other, \
            signed_sender(system, "investment") as send:
        instances = (INVESTMENT.base_url(system), other)
        answers = await asyncio.gather(*(send(instances[i % 2], "/leads", body) for i, body in enumerate(bodies)))
    assert [a.status_code for a in answers] == [201] * REGISTRATIONS, [a.text for a in answers]
    ids = [a.json()["id"] for a in answers]
    rows = await investment_db.fetch(
        "SELECT stream_id, type, data::jsonb ->> 'earlier_lead_id' AS earlier FROM events"
        " WHERE stream_id = ANY($1::text[]) AND version = 1", ids)
    assert len(rows) == REGISTRATIONS
    first = [r["stream_id"] for r in rows if r["type"] == "gb.investment.lead_registered.v1"]
    duplicates = [r for r in rows if r["type"] == "gb.investment.lead_duplicate_recorded.v1"]
    assert len(first) == 1, f"exactly one first referral, not {first}"
    assert len(duplicates) == REGISTRATIONS - 1
    assert {r["earlier"] for r in duplicates} == set(first), "every later registration is credited to the first"
    holders = await investment_db.fetch("SELECT holder FROM reservations WHERE key LIKE 'first-referral:%'"
                                        " AND holder = ANY($1::text[])", ids)
    assert [h["holder"] for h in holders] == first, "the first referral holds its key"


async def test_two_nominations_of_one_cadre_on_two_secondment_instances_leave_one_open_secondment(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], secondment_db: asyncpg.Pool,
    tmp_path: Path,
) -> None:
    township, unit_id = unique("township"), unique("unit")
    await post(gateway, "/v1/units", {"unit_id": unit_id, "township_id": township, "name": "Agricultural station",
                                      "kind": "station", "headcount": 20, "effective_from": "2020-01-01"},
               admin_headers)
    cadres = [(await post(gateway, "/v1/cadres", cadre_body(unit_id), admin_headers))["id"] for _ in range(CADRES)]

    def nomination(cadre_id: str) -> dict[str, Any]:
        return {"cadre_id": cadre_id, "route": "self_found", "placement": placement(), "nominated_on": "2024-01-15"}

    async with second_instance(system, "secondment", tmp_path / "secondment-2.log") as other, \
            signed_sender(system, "secondment") as send:
        instances = (SECONDMENT.base_url(system), other)
        raced = await asyncio.gather(*(send(instance, "/secondments", nomination(cadre_id))
                                       for cadre_id in cadres for instance in instances))
        # The same refusal as a nomination sent when the first was long recorded.
        late = await send(instances[0], "/secondments", nomination(cadres[0]))
        assert late.status_code == 409, late.text
        for cadre_id, pair in zip(cadres, zip(raced[::2], raced[1::2], strict=True), strict=True):
            statuses = sorted(answer.status_code for answer in pair)
            assert statuses == [201, 409], [answer.text for answer in pair]
            refused = next(answer for answer in pair if answer.status_code == 409).json()
            assert (refused["type"], refused["title"]) == (late.json()["type"], late.json()["title"])
            opened = [answer.json()["id"] for answer in pair if answer.status_code == 201]
            assert await _open_secondments(secondment_db, cadre_id) == opened

        # Rejecting the open nomination on one instance gives the cadre's key back in that same append,
        # so a new nomination on the other instance is accepted.
        cadre_id = cadres[0]
        (open_id,) = await _open_secondments(secondment_db, cadre_id)
        rejected = await send(instances[1], f"/secondments/{open_id}/nomination-decision",
                              {"approved": False, "decided_on": "2024-01-20",
                               "reason": "the host enterprise withdrew"})
        assert rejected.status_code == 201, rejected.text
        again = await send(instances[0], "/secondments", nomination(cadre_id))
        assert again.status_code == 201, again.text
        assert await _open_secondments(secondment_db, cadre_id) == [again.json()["id"]]


async def _open_secondments(db: asyncpg.Pool, cadre_id: str) -> list[str]:
    """The cadre's secondments holding its open-secondment key (from the reservations the appends wrote)."""
    rows = await db.fetch("SELECT holder FROM reservations WHERE key = $1", f"open-secondment:{cadre_id}")
    return [r["holder"] for r in rows]


async def test_a_post_change_racing_the_departure_on_two_instances_never_lands_while_away_or_outside_the_snapshot(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], secondment_db: asyncpg.Pool,
    tmp_path: Path,
) -> None:
    """A: the cadre's post is frozen while away, and the departure snapshots it. Whichever of the two commits
    first, the other decides on what it committed: either the change is refused, or the snapshot shows it."""
    township, unit_id = unique("township"), unique("unit")
    await post(gateway, "/v1/units", {"unit_id": unit_id, "township_id": township, "name": "Agricultural station",
                                      "kind": "station", "headcount": 20, "effective_from": "2020-01-01"},
               admin_headers)
    nominated: list[tuple[str, str]] = []
    for _ in range(CADRES):
        cadre_id = (await post(gateway, "/v1/cadres", cadre_body(unit_id), admin_headers))["id"]
        secondment_id = (await post(gateway, "/v1/secondments", {
            "cadre_id": cadre_id, "route": "self_found", "placement": placement(), "nominated_on": "2024-01-15"},
            admin_headers))["id"]
        await post(gateway, f"/v1/secondments/{secondment_id}/nomination-decision",
                   {"approved": True, "decided_on": "2024-02-01"}, admin_headers)
        nominated.append((cadre_id, secondment_id))
    new_post = "head, agricultural station"

    async with second_instance(system, "secondment", tmp_path / "secondment-2.log") as other, \
            signed_sender(system, "secondment") as send:
        instances = (SECONDMENT.base_url(system), other)
        answers = await asyncio.gather(*(
            request for cadre_id, secondment_id in nominated for request in (
                send(instances[0], f"/secondments/{secondment_id}/departure",
                     {"departed_on": "2024-03-01", "placement": placement()}),
                send(instances[1], f"/cadres/{cadre_id}/post",
                     {"post": new_post, "rank": "deputy section chief", "pay_grade": "grade 22",
                      "changed_on": "2024-02-20"}))))
    for (cadre_id, secondment_id), (departure, change) in zip(nominated, zip(answers[::2], answers[1::2],
                                                                             strict=True), strict=True):
        assert departure.status_code == 201, departure.text
        assert change.status_code in (201, 409), change.text
        snapshot = await secondment_db.fetchval(
            "SELECT data::jsonb -> 'snapshot' ->> 'post' FROM events WHERE stream_id = $1"
            " AND type = 'gb.secondment.secondment_started.v1'", secondment_id)
        changed_after = await secondment_db.fetchval(
            "SELECT count(*) FROM events c WHERE c.stream_id = $1 AND c.type = 'gb.secondment.cadre_post_changed.v1'"
            " AND c.position > (SELECT s.position FROM events s WHERE s.stream_id = $2"
            " AND s.type = 'gb.secondment.secondment_started.v1')", cadre_id, secondment_id)
        assert changed_after == 0, "the post changed after the departure"
        assert snapshot == (new_post if change.status_code == 201 else cadre_body(unit_id)["post"])
