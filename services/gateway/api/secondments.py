"""Queries on secondments: units and headcounts, cadres, the roster, one secondment, the 5 % report."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query

from services.gateway.api.access import STAFF, Scope, operation
from services.gateway.api.as_of import AsOfDep
from services.gateway.api.deps import Cursor, DatedReadPool, Day, IdQuery, Limit, PathId, ReadPool
from services.gateway.api.positions import MinPosition
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import cadres, organisations, secondments, units
from services.gateway.readmodels.policies import policy_in_force
from services.gateway.readmodels.waiting import page, wait_for_position
from services.kernel import clock
from services.pure.errors import DomainError, Forbidden, NotFound
from services.pure.identity import Actor, Role
from services.secondment.contract.events import REGISTRY
from services.secondment.contract.values import Stage, targets_of, year_end_measured

router = APIRouter(prefix="/v1", tags=["secondments"])
SOURCE = REGISTRY.source
ROUNDING = ("required = ceil(headcount × {percent} / 100): at exactly {percent} % the target is met, one person "
            "short it is not")
#: Every query here reaches the same records: the sending unit's township (checked by township_in_scope).
SCOPE = Scope.SECONDMENT


def plain(row: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    """A row as JSON-ready values: money as decimal strings, never floats."""
    return {k: (yuan(v) if isinstance(v, Decimal) else v) for k, v in dict(row).items()}


def yuan(amount: Decimal) -> str:
    """A decimal as plain digits ("1250000", never "1.25E+6")."""
    return format(amount, "f")


async def township_in_scope(pool: asyncpg.Pool, actor: Actor, township: str | None) -> str | None:
    """The township a caller (county or township staff) may read: any for the county; a sending unit
    (township committee token scoped to the township or to one of its units) only its own."""
    if actor.role is Role.COUNTY_ADMIN:
        return township
    own = await sending_township(pool, actor.org_id)
    if township not in (None, own):
        raise Forbidden(f"the sending unit of {own} reads its own township's secondments, not {township}")
    return own


async def sending_township(pool: asyncpg.Pool, org_id: str | None) -> str | None:
    """The township a township committee token speaks for: a unit token its unit's township, any other its own
    organisation. A township recorded as one stays itself even if a unit was given its id (the secondment
    service refuses that now; records from before may hold it)."""
    if await organisations.township_of(pool, org_id) == org_id:
        return org_id
    return await units.township_of(pool, org_id) or org_id


@operation(router, "/units", roles=STAFF, scope=SCOPE, action="read units")
async def list_units(actor: CurrentActor, pool: ReadPool, township: IdQuery = None,
                     min_position: MinPosition = None) -> dict[str, Any]:
    """Township organs and stations with today's headcount and the headcount history (the 5 % denominator)."""
    township = await township_in_scope(pool, actor, township)
    await wait_for_position(pool, SOURCE, min_position)
    today = clock.today()
    return {"items": [
        {"unit_id": u.unit_id, "township_id": u.township_id, "name": u.name, "kind": u.kind,
         "headcount": u.headcount_on(today),
         "history": [{"effective_from": day, "headcount": n} for day, n in u.headcounts]}
        for u in sorted(await units.units(pool, township), key=lambda u: (u.township_id, u.unit_id))
    ]}


@operation(router, "/cadres/{cadre_id}", roles=STAFF, scope=SCOPE, action="read cadres")
async def get_cadre(cadre_id: PathId, actor: CurrentActor, pool: ReadPool,
                    min_position: MinPosition = None) -> dict[str, Any]:
    """A cadre: post, rank, pay grade and relations as they stand, and every secondment of theirs."""
    await wait_for_position(pool, SOURCE, min_position)
    row = await cadres.cadre(pool, cadre_id)
    if row is None:
        raise NotFound(f"no cadre {cadre_id}; if you just registered them, pass min_position")
    await township_in_scope(pool, actor, row["township_id"])
    return {**plain(row), "secondments": [plain(s) for s in await secondments.of_cadre(pool, cadre_id)]}


def _roster_row(row: asyncpg.Record, as_of: date, interval_months: int) -> dict[str, Any]:
    """A roster row with its next check-in due (the interval of the policy in force on ``as_of``) and whether
    that has passed on ``as_of``."""
    item = plain(row)
    due = secondments.next_check_in_due(row, interval_months)
    item["next_check_in_due"] = due
    item["check_in_overdue"] = bool(due and as_of > due)
    return item


@operation(router, "/secondments", roles=STAFF, scope=SCOPE, action="read the secondment roster")
async def roster(
    actor: CurrentActor, pool: DatedReadPool, when: AsOfDep, township: IdQuery = None, unit_id: IdQuery = None,
    stage: Stage | None = None,
    on: Annotated[Day, Query(description="Judge overdue check-ins on this day (default today; a day alone in "
                                         "`as_of` means the same, as before).")] = None,
    min_position: MinPosition = None, limit: Limit = 100, cursor: Cursor = None,
) -> dict[str, Any]:
    """The secondment roster: who is where, until when, and when the next check-in is due."""
    township = await township_in_scope(pool, actor, township)
    await wait_for_position(pool, SOURCE, min_position)
    rows = await secondments.roster(pool, township=township, unit_id=unit_id, stage=stage and stage.value,
                                    after=cursor, limit=limit + 1)
    items, next_cursor = page(rows, limit, "secondment_id")
    day = on or when.day or clock.today()
    interval = await secondments.check_in_interval(pool, day)
    return {"items": [_roster_row(r, day, interval) for r in rows[:len(items)]], "next_cursor": next_cursor}


@operation(router, "/secondments/due-items", roles=STAFF, scope=SCOPE, action="read secondment due items")
async def due_items(
    actor: CurrentActor, pool: ReadPool, township: IdQuery = None,
    on: Annotated[Day, Query(description="The day to judge (default today).")] = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """What the sending units owe for cadres away, as services.secondment.domain.secondments.due_items lists it:
    `check_in_due` (the interval of the policy in force on the day judged, published changes included, after
    the last check-in or the departure) and `term_ends` (the term's last day: record the return or 停薪留职),
    each `overdue` once the day has passed."""
    township = await township_in_scope(pool, actor, township)
    await wait_for_position(pool, SOURCE, min_position)
    day = on or clock.today()
    interval = await secondments.check_in_interval(pool, day)
    items = [
        {"kind": kind, "due_on": due, "overdue": day > due, "secondment_id": r["secondment_id"],
         "cadre_id": r["cadre_id"], "cadre_name": r["cadre_name"], "township_id": r["township_id"],
         "unit_id": r["unit_id"]}
        for r in await secondments.away(pool, township)
        for kind, due in (("check_in_due", secondments.next_check_in_due(r, interval)),
                          ("term_ends", r["planned_end"]))
        if due is not None
    ]
    return {"on": day, "items": sorted(items, key=lambda i: (i["due_on"], i["secondment_id"], i["kind"]))}


@operation(router, "/secondments/{secondment_id}", roles=STAFF, scope=SCOPE, action="read secondments")
async def get_secondment(secondment_id: PathId, actor: CurrentActor, pool: ReadPool,
                         min_position: MinPosition = None) -> dict[str, Any]:
    """One secondment with its check-ins, contributions and any commendation proposal."""
    await wait_for_position(pool, SOURCE, min_position)
    found = await secondments.detail(pool, secondment_id)
    if found is None:
        raise NotFound(f"no secondment {secondment_id}; if you just nominated the cadre, pass min_position")
    await township_in_scope(pool, actor, found.row["township_id"])
    today = clock.today()
    return {**_roster_row(found.row, today, await secondments.check_in_interval(pool, today)),
            "contributions": [plain(c) for c in found.contributions],
            "check_in_history": [dict(c) for c in found.check_ins]}


async def targets_on(pool: asyncpg.Pool, *, year: int | None, as_of: date | None, on: date | None,
                     township: str | None) -> dict[str, Any]:
    """The 5 % report: on one day (``on``), or the year-end target of ``year`` as known on ``as_of``."""
    deadline = None
    if on is None:
        assert year is not None
        on, deadline = year_end_measured(year, as_of or clock.today())
    found_units = await units.units(pool, township)
    out = await secondments.staff_out(pool, township, on)
    # The policy in force on the day measured, with the county's published changes (the 5 % may be republished).
    policy = await policy_in_force(pool, "secondment", "secondment", on)
    rows = targets_of(found_units, out, on, townships=[township] if township else [], policy=policy,
                      deadline=deadline)
    return {"on": on, "year": year, "policy_version": policy.version,
            "rounding": ROUNDING.format(percent=yuan(policy.township_target_percent)),
            "townships": [plain(asdict(r)) for r in rows]}


@operation(router, "/reports/secondment-targets", roles=STAFF, scope=SCOPE, action="read the secondment targets")
async def secondment_targets(
    actor: CurrentActor, pool: DatedReadPool, when: AsOfDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="The year-end target (31 December).")] = None,
    on: Annotated[Day, Query(description="Instead of `year`: staff out on this day.")] = None,
    township: IdQuery = None, min_position: MinPosition = None,
) -> dict[str, Any]:
    """The 5 % target per township: staff of township organs and stations out on secondment over the
    headcount in force that day. `status` is met, open (the year has not ended) or missed."""
    if (year is None) == (on is None):
        raise DomainError("give either year (the year-end target) or on (a day), not both and not neither")
    township = await township_in_scope(pool, actor, township)
    await wait_for_position(pool, SOURCE, min_position)
    # With `year`, a day alone in `as_of` is the day the year-end target is judged on (default today).
    return await targets_on(pool, year=year, as_of=when.day, on=on, township=township)
