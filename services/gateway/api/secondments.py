"""Queries on secondments: units and headcounts, cadres, the roster, one secondment, the 5 % report."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query

from services.gateway.api.deps import Cursor, Limit, MinPosition, ReadPool
from services.gateway.auth import CurrentActor, require
from services.gateway.readmodels import page, wait_for_position
from services.pure.errors import DomainError, Forbidden, NotFound
from services.pure.identity import Actor, Role
from services.secondment.contract.events import REGISTRY, Route, UnitKind
from services.secondment.contract.values import (
    SecondmentPeriod,
    Stage,
    Unit,
    secondment_policy_on,
    township_targets,
    year_end_targets,
)

router = APIRouter(prefix="/v1", tags=["secondments"])
SOURCE = REGISTRY.source
_STAFF = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
ROUNDING = "required = ceil(headcount × 5 / 100): at exactly 5 % the target is met, one person short it is not"


def plain(row: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    """A row as JSON-ready values: money as decimal strings, never floats."""
    return {k: (yuan(v) if isinstance(v, Decimal) else v) for k, v in dict(row).items()}


def yuan(amount: Decimal) -> str:
    """A decimal as plain digits ("1250000", never "1.25E+6")."""
    return format(amount, "f")


async def township_in_scope(pool: asyncpg.Pool, actor: Actor, township: str | None, action: str) -> str | None:
    """The township a caller may read: any for the county; a sending unit (township committee token
    scoped to the township or to one of its units) only its own."""
    require(actor, action, *_STAFF)
    if actor.role is Role.COUNTY_ADMIN:
        return township
    own = await pool.fetchval("SELECT township_id FROM units_view WHERE unit_id = $1", actor.org_id) or actor.org_id
    if township not in (None, own):
        raise Forbidden(f"the sending unit of {own} reads its own township's secondments, not {township}")
    return own


@router.get("/units")
async def list_units(actor: CurrentActor, pool: ReadPool, township: str | None = None,
                     min_position: MinPosition = None) -> dict[str, Any]:
    """Township organs and stations with today's headcount and the headcount history (the 5 % denominator)."""
    township = await township_in_scope(pool, actor, township, "read units")
    await wait_for_position(pool, SOURCE, min_position)
    today = date.today()
    return {"items": [
        {"unit_id": u.unit_id, "township_id": u.township_id, "name": u.name, "kind": u.kind,
         "headcount": u.headcount_on(today),
         "history": [{"effective_from": day, "headcount": n} for day, n in u.headcounts]}
        for u in sorted(await _units(pool, township), key=lambda u: (u.township_id, u.unit_id))
    ]}


@router.get("/cadres/{cadre_id}")
async def get_cadre(cadre_id: str, actor: CurrentActor, pool: ReadPool,
                    min_position: MinPosition = None) -> dict[str, Any]:
    """A cadre: post, rank, pay grade and relations as they stand, and every secondment of theirs."""
    await wait_for_position(pool, SOURCE, min_position)
    row = await pool.fetchrow("SELECT * FROM cadres_view WHERE cadre_id = $1", cadre_id)
    if row is None:
        raise NotFound(f"no cadre {cadre_id}; if you just registered them, pass min_position")
    await township_in_scope(pool, actor, row["township_id"], "read cadres")
    secondments = await pool.fetch(
        "SELECT secondment_id, stage, route, departed_on, planned_end, last_day FROM secondments_view"
        " WHERE cadre_id = $1 ORDER BY nominated_on", cadre_id)
    return {**plain(row), "secondments": [plain(s) for s in secondments]}


def _roster_row(row: asyncpg.Record, as_of: date) -> dict[str, Any]:
    item = plain(row)
    due = row["next_check_in_due"]
    item["check_in_overdue"] = bool(due and row["stage"] == Stage.AWAY.value and as_of > due)
    return item


_ROSTER = "SELECT s.*, c.name AS cadre_name FROM secondments_view s LEFT JOIN cadres_view c USING (cadre_id)"


@router.get("/secondments")
async def roster(
    actor: CurrentActor, pool: ReadPool, township: str | None = None, unit_id: str | None = None,
    stage: Stage | None = None,
    as_of: Annotated[date | None, Query(description="Judge overdue check-ins on this day (default today).")] = None,
    min_position: MinPosition = None, limit: Limit = 100, cursor: Cursor = None,
) -> dict[str, Any]:
    """The secondment roster: who is where, until when, and when the next check-in is due."""
    township = await township_in_scope(pool, actor, township, "read the secondment roster")
    await wait_for_position(pool, SOURCE, min_position)
    rows = await pool.fetch(
        f"{_ROSTER} WHERE ($1::text IS NULL OR s.township_id = $1) AND ($2::text IS NULL OR s.unit_id = $2)"
        " AND ($3::text IS NULL OR s.stage = $3) AND ($4::text IS NULL OR s.secondment_id > $4)"
        " ORDER BY s.secondment_id LIMIT $5",
        township, unit_id, stage and stage.value, cursor, limit + 1,
    )
    items, next_cursor = page(rows, limit, "secondment_id")
    day = as_of or date.today()
    return {"items": [_roster_row(r, day) for r in rows[:len(items)]], "next_cursor": next_cursor}


@router.get("/secondments/due-items")
async def due_items(
    actor: CurrentActor, pool: ReadPool, township: str | None = None,
    on: Annotated[date | None, Query(description="The day to judge (default today).")] = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """What the sending units owe for cadres away, as services.secondment.domain.secondments.due_items lists it:
    `check_in_due` (the policy's interval after the last check-in or the departure) and `term_ends` (the
    term's last day: record the return or 停薪留職), each `overdue` once the day has passed."""
    township = await township_in_scope(pool, actor, township, "read secondment due items")
    await wait_for_position(pool, SOURCE, min_position)
    day = on or date.today()
    rows = await pool.fetch(
        f"{_ROSTER} WHERE s.stage = 'away' AND ($1::text IS NULL OR s.township_id = $1) ORDER BY s.secondment_id",
        township)
    items = [
        {"kind": kind, "due_on": due, "overdue": day > due, "secondment_id": r["secondment_id"],
         "cadre_id": r["cadre_id"], "cadre_name": r["cadre_name"], "township_id": r["township_id"],
         "unit_id": r["unit_id"]}
        for r in rows for kind, due in (("check_in_due", r["next_check_in_due"]), ("term_ends", r["planned_end"]))
        if due is not None
    ]
    return {"on": day, "items": sorted(items, key=lambda i: (i["due_on"], i["secondment_id"], i["kind"]))}


@router.get("/secondments/{secondment_id}")
async def get_secondment(secondment_id: str, actor: CurrentActor, pool: ReadPool,
                         min_position: MinPosition = None) -> dict[str, Any]:
    """One secondment with its check-ins, contributions and any commendation proposal."""
    await wait_for_position(pool, SOURCE, min_position)
    row = await pool.fetchrow(f"{_ROSTER} WHERE s.secondment_id = $1", secondment_id)
    if row is None:
        raise NotFound(f"no secondment {secondment_id}; if you just nominated the cadre, pass min_position")
    await township_in_scope(pool, actor, row["township_id"], "read secondments")
    contributions = await pool.fetch(
        "SELECT contribution_id, kind, description, amount_yuan, contributed_on, source_ref"
        " FROM secondment_contributions WHERE secondment_id = $1 ORDER BY contributed_on, position", secondment_id)
    check_ins = await pool.fetch(
        "SELECT checked_in_on, due_on, late FROM secondment_check_ins WHERE secondment_id = $1 ORDER BY position",
        secondment_id)
    return {**_roster_row(row, date.today()), "contributions": [plain(c) for c in contributions],
            "check_in_history": [dict(c) for c in check_ins]}


@router.get("/reports/secondment-targets")
async def secondment_targets(
    actor: CurrentActor, pool: ReadPool,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="The year-end target (31 December).")] = None,
    as_of: Annotated[date | None, Query(description="With `year`: what is known on this day (default today).")] = None,
    on: Annotated[date | None, Query(description="Instead of `year`: staff out on this day.")] = None,
    township: str | None = None, min_position: MinPosition = None,
) -> dict[str, Any]:
    """The 5 % target per township: staff of township organs and stations out on secondment over the
    headcount in force that day. `status` is met, open (the year has not ended) or missed."""
    if (year is None) == (on is None):
        raise DomainError("give either year (the year-end target) or on (a day), not both and not neither")
    township = await township_in_scope(pool, actor, township, "read the secondment targets")
    await wait_for_position(pool, SOURCE, min_position)
    units = await _units(pool, township)
    periods = [
        SecondmentPeriod(secondment_id=r["secondment_id"], cadre_id=r["cadre_id"], unit_id=r["unit_id"],
                         township_id=r["township_id"], route=Route(r["route"]), departed_on=r["departed_on"],
                         last_day=r["last_day"])
        for r in await pool.fetch(
            "SELECT secondment_id, cadre_id, unit_id, township_id, route, departed_on, last_day"
            " FROM secondments_view WHERE departed_on IS NOT NULL AND ($1::text IS NULL OR township_id = $1)",
            township)
    ]
    townships = [township] if township else []
    if on is not None:
        policy = secondment_policy_on(on)
        rows = township_targets(units, periods, on, townships=townships, policy=policy)
        measured = on
    else:
        assert year is not None
        known = as_of or date.today()
        measured = min(known, date(year, 12, 31))
        policy = secondment_policy_on(measured)
        rows = year_end_targets(units, periods, year, known, townships=townships, policy=policy)
    return {"on": measured, "year": year, "policy_version": policy.version, "rounding": ROUNDING,
            "townships": [plain(asdict(r)) for r in rows]}


async def _units(pool: asyncpg.Pool, township: str | None) -> list[Unit]:
    rows = await pool.fetch(
        "SELECT u.unit_id, u.township_id, u.name, u.kind, h.effective_from, h.headcount FROM units_view u"
        " JOIN unit_headcounts h USING (unit_id) WHERE $1::text IS NULL OR u.township_id = $1"
        " ORDER BY u.unit_id, h.effective_from", township)
    units: dict[str, Unit] = {}
    for r in rows:
        unit = units.get(r["unit_id"]) or Unit(exists=True, unit_id=r["unit_id"], township_id=r["township_id"],
                                              name=r["name"], kind=UnitKind(r["kind"]))
        units[r["unit_id"]] = replace(unit, headcounts=(*unit.headcounts, (r["effective_from"], r["headcount"])))
    return list(units.values())
