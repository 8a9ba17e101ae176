"""Queries on investment leads: leads, the pipeline, credit by branch and registrant, reward claims,
and each township's results beside the membership and secondment targets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query

from services.gateway.api import reports
from services.gateway.api import secondments as secondment_reports
from services.gateway.api.access import KEEPERS, STAFF, Scope, operation
from services.gateway.api.as_of import AsOfDep
from services.gateway.api.deps import Cursor, DatedReadPool, Day, IdQuery, Limit, On, PathId, ReadPool
from services.gateway.api.positions import MinPosition
from services.gateway.api.secondments import plain
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import leads
from services.gateway.readmodels.policies import policy_in_force
from services.gateway.readmodels.waiting import page, wait_for_position
from services.investment.contract.events import REGISTRY, LeadStage
from services.investment.contract.values import PIPELINE
from services.kernel import clock
from services.pure.errors import Forbidden, NotFound
from services.pure.identity import Actor, Role

router = APIRouter(prefix="/v1", tags=["leads"])
SOURCE = REGISTRY.source
STAGES = [s.value for s in (*PIPELINE, LeadStage.DROPPED)]
StalledOn = Annotated[Day, Query(description="Judge stalled leads on this day (default today); a day alone in "
                                             "`as_of` means the same, as before.")]
#: Who reads leads, and which.
READERS = (*KEEPERS, Role.MEMBER)
SCOPE = Scope.LEAD
REPORT_SCOPE = Scope.TOWNSHIP


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


@operation(router, "/leads", roles=READERS, scope=SCOPE, action="read leads")
async def list_leads(
    actor: CurrentActor, pool: DatedReadPool, when: AsOfDep, township: IdQuery = None, branch_id: IdQuery = None,
    stage: LeadStage | None = None, registrant_id: IdQuery = None,
    stalled: Annotated[bool | None, Query(description="Only stalled (true) or not stalled (false) leads.")] = None,
    homecoming: Annotated[bool | None, Query(description="Only homecoming (回归) leads (true) or only the others "
                                                         "(false).")] = None,
    on: StalledOn = None, min_position: MinPosition = None, limit: Limit = 100, cursor: Cursor = None,
) -> dict[str, Any]:
    """Leads, with whether each is stalled: open and without progress for the policy's period in force that day
    (published changes included) — for a homecoming (回归) lead the fast lane's shorter period."""
    my_township, my_branch, me = lead_scope(actor)
    township, branch_id = _narrow(my_township, township, "township"), _narrow(my_branch, branch_id, "branch")
    registrant_id = _narrow(me, registrant_id, "registrant")
    await wait_for_position(pool, SOURCE, min_position)
    rows = await leads.leads(pool, on or when.day or clock.today(), township=township, branch_id=branch_id,
                             stage=stage and stage.value, registrant_id=registrant_id, stalled=stalled,
                             after=cursor, limit=limit + 1, homecoming=homecoming)
    items, next_cursor = page(rows, limit, "lead_id")
    return {"items": [plain(i) for i in items], "next_cursor": next_cursor}


@operation(router, "/leads/{lead_id}", roles=READERS, scope=SCOPE, action="read leads")
async def get_lead(lead_id: PathId, actor: CurrentActor, pool: DatedReadPool, when: AsOfDep, on: StalledOn = None,
                   min_position: MinPosition = None) -> dict[str, Any]:
    """One lead with its instalments and, once claimed, how the referral reward was computed."""
    await wait_for_position(pool, SOURCE, min_position)
    row = await leads.lead(pool, lead_id, on or when.day or clock.today())
    if row is None:
        raise NotFound(f"no lead {lead_id}; if you just registered it, pass min_position")
    township, branch, me = lead_scope(actor)
    if (township, branch, me) != (None, None, None) and township != row["township_id"] \
            and branch != row["branch_id"] and me != row["registrant_id"]:
        raise Forbidden(f"{actor.label} cannot read lead {lead_id}: it is not of your township, branch or yours")
    claim = await leads.reward_claim(pool, lead_id)
    return {**plain(row), "instalments": [plain(i) for i in await leads.instalments(pool, lead_id)],
            "reward_claim": plain(claim) if claim else None}


def _report_township(actor: Actor, township: str | None) -> str | None:
    return _narrow(actor.org_id if actor.role is Role.TOWNSHIP_COMMITTEE else None, township, "township")


@operation(router, "/reports/lead-pipeline", roles=STAFF, scope=REPORT_SCOPE, action="read the lead pipeline")
async def lead_pipeline(actor: CurrentActor, pool: DatedReadPool, when: AsOfDep, township: IdQuery = None,
                        on: StalledOn = None, min_position: MinPosition = None) -> dict[str, Any]:
    """Leads by stage and township, with duplicates, stalled leads, promised and arrived yuan; `homecoming` counts
    the homecoming (回归) leads and `homecoming_lane` gives the fast lane on its own (回归绿色通道): its leads by
    stage, how many stalled (by its shorter period), landed, and their yuan, with the lane's stall period."""
    township = _report_township(actor, township)
    await wait_for_position(pool, SOURCE, min_position)
    day = on or when.day or clock.today()
    total, townships = _pipeline_row(), dict[str, dict[str, Any]]()
    for r in await leads.registered_by(pool, day, township):
        for counts in (total, townships.setdefault(r["township_id"], _pipeline_row())):
            _count(counts, r)
            if r["homecoming"]:
                _count(counts["homecoming_lane"], r)
    policy = await policy_in_force(pool, "investment", "investment", day)
    return {"as_of": day, "stages": STAGES, "policy_version": policy.version,
            "stalled_after_days": policy.stall_days(False),
            "homecoming_stalled_after_days": policy.stall_days(True), "total": _plain_row(total),
            "townships": [{"township_id": k, **_plain_row(v)} for k, v in sorted(townships.items())]}


def _plain_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**plain(row), "homecoming_lane": plain(row["homecoming_lane"])}


def _lane_row() -> dict[str, Any]:
    # A duplicate carries no homecoming flag (it credits the first lead), so the lane counts none.
    return {"by_stage": dict.fromkeys(STAGES, 0), "stalled": 0, "landed": 0,
            "promised_yuan": Decimal(0), "arrived_yuan": Decimal(0)}


def _pipeline_row() -> dict[str, Any]:
    return {"by_stage": dict.fromkeys(STAGES, 0), "duplicates": 0, "stalled": 0, "homecoming": 0,
            "promised_yuan": Decimal(0), "arrived_yuan": Decimal(0), "homecoming_lane": _lane_row()}


def _count(row: dict[str, Any], lead: asyncpg.Record) -> None:
    if lead["stage"] == LeadStage.DUPLICATE.value:
        row["duplicates"] += 1
        return
    row["by_stage"][lead["stage"]] += 1
    row["stalled"] += bool(lead["stalled"])
    if "homecoming" in row:
        row["homecoming"] += bool(lead["homecoming"])
    if "landed" in row:
        row["landed"] += lead["stage"] == LeadStage.LANDED.value
    row["promised_yuan"] += lead["promised_amount"] or 0
    row["arrived_yuan"] += lead["arrived_total"]


@operation(router, "/reports/landed", roles=STAFF, scope=REPORT_SCOPE, action="read the landed projects")
async def landed_report(actor: CurrentActor, pool: ReadPool, township: IdQuery = None,
                        min_position: MinPosition = None) -> dict[str, Any]:
    """Credit where it is due: leads, landed projects and capital arrived by branch and by registrant
    (members, cadres, branches) — duplicates credit the first registrant, so they are not counted."""
    township = _report_township(actor, township)
    await wait_for_position(pool, SOURCE, min_position)
    return {"branches": [plain(b) for b in await leads.credit_by_branch(pool, township)],
            "registrants": [plain(r) for r in await leads.credit_by_registrant(pool, township)]}


@operation(router, "/reward-claims", roles=READERS, action="read reward claims", scope=Scope.LEAD,
           note="Reward claims likewise: the claimant reads their own")
async def reward_claims(actor: CurrentActor, pool: ReadPool, township: IdQuery = None,
                        claimant_id: IdQuery = None, min_position: MinPosition = None) -> dict[str, Any]:
    """Referral rewards claimed, each with the tiers that make up its amount."""
    my_township, my_branch, me = lead_scope(actor)
    township, claimant_id = _narrow(my_township, township, "township"), _narrow(me, claimant_id, "registrant")
    await wait_for_position(pool, SOURCE, min_position)
    rows = await leads.reward_claims(pool, township=township, claimant_id=claimant_id, branch_id=my_branch)
    return {"items": [plain(r) for r in rows]}


@operation(router, "/reports/performance", roles=STAFF, scope=REPORT_SCOPE, action="read the performance report")
async def performance(
    actor: CurrentActor, pool: DatedReadPool, when: AsOfDep, year: Annotated[int, Query(ge=2000, le=2100)],
    township: IdQuery = None, on: On = None, min_position: MinPosition = None,
) -> dict[str, Any]:
    """Each township's Golden Bridge results for a year, side by side: the membership targets, the 5 %
    secondment target at year end, and the investment credit (leads, landed projects, capital arrived)."""
    township = _report_township(actor, township)
    await wait_for_position(pool, SOURCE, min_position)
    known = on or when.day or min(clock.today(), date(year, 12, 31))
    membership = await reports.membership_targets(pool, year, known, township)
    secondment = await secondment_reports.targets_on(
        pool, year=year, as_of=known, on=None,
        township=await secondment_reports.township_in_scope(pool, actor, township))
    credit = await leads.credit_in_period(pool, township, date(year, 1, 1), min(date(year, 12, 31), known))
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
