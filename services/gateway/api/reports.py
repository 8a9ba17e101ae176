"""Reports: the Golden Bridge targets per township and per outstation branch, for any year."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.gateway.api.deps import MinPosition, ReadPool
from services.gateway.auth import CurrentActor, require
from services.gateway.readmodels import wait_for_position
from services.membership.contract.events import REGISTRY
from services.membership.contract.values import DEFAULT_MOBILITY_POLICY, OutstationBranchFacts, branch_needed, targets
from services.pure.errors import Forbidden
from services.pure.identity import Role

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get("/targets")
async def targets_report(
    actor: CurrentActor, pool: ReadPool, year: Annotated[int, Query(ge=2000, le=2100)],
    as_of: Annotated[date | None, Query(description="Count facts up to this day (default: 31 December).")] = None,
    township: Annotated[str | None, Query(description="One township committee's id.")] = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """Golden Bridge targets: each township ≥1 outstation branch established by 30 June; each outstation
    branch ≥2 activists cultivated and ≥1 member admitted in the year. Statuses are met, open or missed."""
    require(actor, "read the targets report", Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
    if actor.role is Role.TOWNSHIP_COMMITTEE:
        if township not in (None, actor.org_id):
            raise Forbidden("a township committee reads its own township's targets")
        township = actor.org_id
    await wait_for_position(pool, REGISTRY.source, min_position)
    branches = await pool.fetch(
        "SELECT branch_id, home_org_id, established_on FROM branches_view WHERE ($1::text IS NULL OR home_org_id = $1)",
        township,
    )
    activists: dict[str, list[date]] = defaultdict(list)
    admissions: dict[str, list[date]] = defaultdict(list)
    for row in await pool.fetch(
        "SELECT activist_org_id, activist_on, admitting_org_id, admitted_on FROM development_view"
        " WHERE extract(year FROM activist_on) = $1 OR extract(year FROM admitted_on) = $1", year,
    ):
        if row["activist_on"] and row["activist_on"].year == year:
            activists[row["activist_org_id"]].append(row["activist_on"])
        if row["admitted_on"] and row["admitted_on"].year == year:
            admissions[row["admitting_org_id"]].append(row["admitted_on"])
    facts = [
        OutstationBranchFacts(branch_id=b["branch_id"], township_id=b["home_org_id"],
                              established_on=b["established_on"],
                              activists_designated=tuple(activists[b["branch_id"]]),
                              admissions_approved=tuple(admissions[b["branch_id"]]))
        for b in branches
    ]
    report = targets(facts, year, as_of or date(year, 12, 31), townships=[township] if township else [])
    return asdict(report)


@router.get("/destinations")
async def destinations(
    actor: CurrentActor, pool: ReadPool, home_org_id: str | None = None, min_position: MinPosition = None,
) -> dict[str, Any]:
    """Where members away from home are, by destination — and where three or more go, a branch (or a
    temporary branch or Party group) should be set up there (B4)."""
    require(actor, "read where members are", Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
    await wait_for_position(pool, REGISTRY.source, min_position)
    rows = await pool.fetch(
        "SELECT m.member_id, m.outflow->>'destination' AS destination FROM members_view m"
        " LEFT JOIN branches_view b ON b.branch_id = m.formal_org_id"
        " WHERE m.away AND m.status IN ('probationary', 'full') AND ($1::text IS NULL OR b.home_org_id = $1)",
        home_org_id,
    )
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["destination"]] += 1
    flagged = set(branch_needed((r["member_id"], r["destination"]) for r in rows))
    return {
        "threshold": DEFAULT_MOBILITY_POLICY.cluster_branch_threshold,
        "policy_version": DEFAULT_MOBILITY_POLICY.version,
        "items": [{"destination": d, "members_away": n, "branch_advised": d in flagged}
                  for d, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))],
    }
