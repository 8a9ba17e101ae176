"""Queries on investment leads: leads, the pipeline, credit by branch and registrant, reward claims,
and each township's results beside the membership and secondment targets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query

from services.gateway.api.deps import Cursor, Limit, MinPosition, ReadPool
from services.gateway.api.reports import targets_report
from services.gateway.api.secondments import plain, secondment_targets
from services.gateway.auth import CurrentActor, require
from services.gateway.readmodels import page, wait_for_position
from services.investment.contract.events import REGISTRY, LeadStage
from services.investment.contract.values import OPEN_STAGES, PIPELINE, investment_policy_on
from services.pure.errors import Forbidden, NotFound
from services.pure.identity import Actor, Role

router = APIRouter(prefix="/v1", tags=["leads"])
SOURCE = REGISTRY.source
STAGES = [s.value for s in (*PIPELINE, LeadStage.DROPPED)]
_OPEN = [s.value for s in OPEN_STAGES]
AsOf = Annotated[date | None, Query(description="Judge stalled leads on this day (default today).")]


def lead_scope(actor: Actor) -> tuple[str | None, str | None, str | None]:
    """(township, branch, registrant) a caller's lead queries are limited to (None: not limited)."""
    match actor.role:
        case Role.COUNTY_ADMIN:
            return None, None, None
        case Role.TOWNSHIP_COMMITTEE:
            return actor.org_id, None, None
        case Role.BRANCH_SECRETARY:
            return None, actor.org_id, None
        case Role.MEMBER:
            return None, None, actor.subject
        case _:
            raise Forbidden("only the county, township committees, branch secretaries and registrants read leads")


def _narrow(mine: str | None, asked: str | None, what: str) -> str | None:
    if mine is not None and asked not in (None, mine):
        raise Forbidden(f"your token reads the leads of {what} {mine} only, not {asked}")
    return mine if mine is not None else asked


def _stall_days(as_of: date) -> int:
    return investment_policy_on(as_of).stalled_after_days


_LEADS = ("SELECT *, (stage = ANY($1::text[]) AND last_progress_on + $2::int <= $3::date) AS stalled"
          " FROM leads_view")


@router.get("/leads")
async def list_leads(
    actor: CurrentActor, pool: ReadPool, township: str | None = None, branch_id: str | None = None,
    stage: LeadStage | None = None, registrant_id: str | None = None,
    stalled: Annotated[bool | None, Query(description="Only stalled (true) or not stalled (false) leads.")] = None,
    as_of: AsOf = None, min_position: MinPosition = None, limit: Limit = 100, cursor: Cursor = None,
) -> dict[str, Any]:
    """Leads, with whether each is stalled (open and without progress for the policy's period)."""
    my_township, my_branch, me = lead_scope(actor)
    township, branch_id = _narrow(my_township, township, "township"), _narrow(my_branch, branch_id, "branch")
    registrant_id = _narrow(me, registrant_id, "registrant")
    await wait_for_position(pool, SOURCE, min_position)
    day = as_of or date.today()
    rows = await pool.fetch(
        f"SELECT * FROM ({_LEADS}) l WHERE ($4::text IS NULL OR township_id = $4) AND ($5::text IS NULL OR"
        " branch_id = $5) AND ($6::text IS NULL OR stage = $6) AND ($7::text IS NULL OR registrant_id = $7)"
        " AND ($8::boolean IS NULL OR stalled = $8) AND ($9::text IS NULL OR lead_id > $9) ORDER BY lead_id LIMIT $10",
        _OPEN, _stall_days(day), day, township, branch_id, stage and stage.value, registrant_id, stalled, cursor,
        limit + 1,
    )
    items, next_cursor = page(rows, limit, "lead_id")
    return {"items": [plain(i) for i in items], "next_cursor": next_cursor}


@router.get("/leads/{lead_id}")
async def get_lead(lead_id: str, actor: CurrentActor, pool: ReadPool, as_of: AsOf = None,
                   min_position: MinPosition = None) -> dict[str, Any]:
    """One lead with its instalments and, once claimed, how the referral reward was computed."""
    await wait_for_position(pool, SOURCE, min_position)
    day = as_of or date.today()
    row = await pool.fetchrow(f"SELECT * FROM ({_LEADS}) l WHERE lead_id = $4", _OPEN, _stall_days(day), day,
                              lead_id)
    if row is None:
        raise NotFound(f"no lead {lead_id}; if you just registered it, pass min_position")
    township, branch, me = lead_scope(actor)
    if (township, branch, me) != (None, None, None) and township != row["township_id"] \
            and branch != row["branch_id"] and me != row["registrant_id"]:
        raise Forbidden(f"{actor.label} cannot read lead {lead_id}: it is not of your township, branch or yours")
    instalments = await pool.fetch("SELECT instalment, amount, arrived_on, reference FROM lead_instalments"
                                   " WHERE lead_id = $1 ORDER BY instalment", lead_id)
    claim = await pool.fetchrow("SELECT * FROM reward_claims_view WHERE lead_id = $1", lead_id)
    return {**plain(row), "instalments": [plain(i) for i in instalments],
            "reward_claim": plain(claim) if claim else None}


async def _report_township(pool: asyncpg.Pool, actor: Actor, township: str | None, action: str) -> str | None:
    require(actor, action, Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
    return _narrow(actor.org_id if actor.role is Role.TOWNSHIP_COMMITTEE else None, township, "township")


@router.get("/reports/lead-pipeline")
async def lead_pipeline(actor: CurrentActor, pool: ReadPool, township: str | None = None, as_of: AsOf = None,
                        min_position: MinPosition = None) -> dict[str, Any]:
    """Leads by stage and township, with duplicates, stalled leads, promised and arrived yuan."""
    township = await _report_township(pool, actor, township, "read the lead pipeline")
    await wait_for_position(pool, SOURCE, min_position)
    day = as_of or date.today()
    rows = await pool.fetch(
        f"SELECT * FROM ({_LEADS}) l WHERE ($4::text IS NULL OR township_id = $4) AND registered_on <= $3",
        _OPEN, _stall_days(day), day, township)
    total, townships = _pipeline_row(), dict[str, dict[str, Any]]()
    for r in rows:
        for counts in (total, townships.setdefault(r["township_id"], _pipeline_row())):
            _count(counts, r)
    return {"as_of": day, "stages": STAGES, "total": plain(total),
            "townships": [{"township_id": k, **plain(v)} for k, v in sorted(townships.items())]}


def _pipeline_row() -> dict[str, Any]:
    return {"by_stage": dict.fromkeys(STAGES, 0), "duplicates": 0, "stalled": 0, "homecoming": 0,
            "promised_yuan": Decimal(0), "arrived_yuan": Decimal(0)}


def _count(row: dict[str, Any], lead: asyncpg.Record) -> None:
    if lead["stage"] == LeadStage.DUPLICATE.value:
        row["duplicates"] += 1
        return
    row["by_stage"][lead["stage"]] += 1
    row["stalled"] += bool(lead["stalled"])
    row["homecoming"] += bool(lead["homecoming"])
    row["promised_yuan"] += lead["promised_amount"] or 0
    row["arrived_yuan"] += lead["arrived_total"]


@router.get("/reports/landed")
async def landed_report(actor: CurrentActor, pool: ReadPool, township: str | None = None,
                        min_position: MinPosition = None) -> dict[str, Any]:
    """Credit where it is due: leads, landed projects and capital arrived by branch and by registrant
    (members, cadres, branches) — duplicates credit the first registrant, so they are not counted."""
    township = await _report_township(pool, actor, township, "read the landed projects")
    await wait_for_position(pool, SOURCE, min_position)
    sums = ("count(*) AS leads, count(*) FILTER (WHERE stage = 'landed') AS landed,"
            " sum(arrived_total) AS arrived_yuan,"
            " coalesce(sum(actual_fixed_investment), 0) AS actual_fixed_investment_yuan")
    where = "WHERE stage <> 'duplicate' AND ($1::text IS NULL OR township_id = $1)"
    branches = await pool.fetch(f"SELECT branch_id, township_id, {sums} FROM leads_view {where}"
                                " GROUP BY branch_id, township_id ORDER BY township_id, branch_id", township)
    registrants = await pool.fetch(
        f"SELECT registrant_kind, registrant_id, max(registrant_name) AS registrant_name, {sums} FROM leads_view"
        f" {where} GROUP BY registrant_kind, registrant_id ORDER BY registrant_kind, registrant_id", township)
    return {"branches": [plain(b) for b in branches], "registrants": [plain(r) for r in registrants]}


@router.get("/reward-claims")
async def reward_claims(actor: CurrentActor, pool: ReadPool, township: str | None = None,
                        claimant_id: str | None = None, min_position: MinPosition = None) -> dict[str, Any]:
    """Referral rewards claimed, each with the tiers that make up its amount."""
    my_township, my_branch, me = lead_scope(actor)
    township, claimant_id = _narrow(my_township, township, "township"), _narrow(me, claimant_id, "registrant")
    await wait_for_position(pool, SOURCE, min_position)
    rows = await pool.fetch(
        "SELECT c.*, l.township_id, l.branch_id, l.investor, l.project FROM reward_claims_view c JOIN leads_view l"
        " USING (lead_id) WHERE ($1::text IS NULL OR l.township_id = $1) AND ($2::text IS NULL OR c.claimant_id = $2)"
        " AND ($3::text IS NULL OR l.branch_id = $3) ORDER BY c.claimed_on, c.lead_id", township, claimant_id,
        my_branch)
    return {"items": [plain(r) for r in rows]}


@router.get("/reports/performance")
async def performance(
    actor: CurrentActor, pool: ReadPool, year: Annotated[int, Query(ge=2000, le=2100)],
    township: str | None = None, as_of: Annotated[date | None, Query()] = None, min_position: MinPosition = None,
) -> dict[str, Any]:
    """Each township's Golden Bridge results for a year, side by side: the membership targets, the 5 %
    secondment target at year end, and the investment credit (leads, landed projects, capital arrived)."""
    township = await _report_township(pool, actor, township, "read the performance report")
    await wait_for_position(pool, SOURCE, min_position)
    known = as_of or min(date.today(), date(year, 12, 31))
    membership = await targets_report(actor, pool, year, known, township, None)
    secondment = await secondment_targets(actor, pool, year, known, None, township, None)
    start, end = date(year, 1, 1), date(year, 12, 31)
    credit = await pool.fetch(
        "SELECT township_id, branch_id,"
        " count(*) FILTER (WHERE registered_on BETWEEN $2 AND $3) AS leads_registered,"
        " count(*) FILTER (WHERE completed_on BETWEEN $2 AND $3) AS projects_landed,"
        " coalesce(sum(actual_fixed_investment) FILTER (WHERE completed_on BETWEEN $2 AND $3), 0)"
        "   AS actual_fixed_investment_yuan,"
        " coalesce(sum((SELECT sum(amount) FROM lead_instalments i WHERE i.lead_id = l.lead_id"
        "   AND i.arrived_on BETWEEN $2 AND $3)), 0) AS capital_arrived_yuan"
        " FROM leads_view l WHERE stage <> 'duplicate' AND ($1::text IS NULL OR township_id = $1)"
        " GROUP BY township_id, branch_id ORDER BY township_id, branch_id", township, start, min(end, known))
    by_township: dict[str, dict[str, Any]] = {}
    for row in credit:
        t = by_township.setdefault(row["township_id"], {"leads_registered": 0, "projects_landed": 0,
                                                        "capital_arrived_yuan": Decimal(0),
                                                        "actual_fixed_investment_yuan": Decimal(0)})
        for key in t:
            t[key] += row[key]
    townships = {t["township_id"] for t in membership["townships"]} | {
        t["township_id"] for t in secondment["townships"]} | set(by_township)
    return {
        "year": year, "as_of": known,
        "townships": [{
            "township_id": t,
            "membership_targets": next((m for m in membership["townships"] if m["township_id"] == t), None),
            "secondment_target": next((s for s in secondment["townships"] if s["township_id"] == t), None),
            "investment": plain(by_township.get(t, {"leads_registered": 0, "projects_landed": 0,
                                                     "capital_arrived_yuan": "0",
                                                     "actual_fixed_investment_yuan": "0"})),
        } for t in sorted(townships)],
        "branches": [plain(b) for b in credit],
    }


