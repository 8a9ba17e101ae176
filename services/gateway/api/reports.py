"""Reports: the Golden Bridge targets per township and per outstation branch, and where members are."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query

from services.gateway.api.access import STAFF, Scope, operation, own_township
from services.gateway.api.as_of import AsOfDep
from services.gateway.api.deps import DatedReadPool, Day, IdQuery, ReadPool
from services.gateway.api.positions import MinPosition
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import branches, development, members, organisations, units
from services.gateway.readmodels.policies import policy_in_force
from services.gateway.readmodels.waiting import wait_for_position
from services.kernel import clock
from services.membership.contract.events import REGISTRY
from services.membership.contract.values import OutstationBranchFacts, branch_needed, targets

router = APIRouter(prefix="/v1/reports", tags=["reports"])


async def membership_targets(pool: asyncpg.Pool, year: int, as_of: date, township: str | None) -> dict[str, Any]:
    """The membership targets of ``year`` as known on ``as_of``, for every township or one."""
    activists: dict[str, list[date]] = defaultdict(list)
    admissions: dict[str, list[date]] = defaultdict(list)
    for row in await development.steps_in_year(pool, year):
        if row["activist_on"] and row["activist_on"].year == year:
            activists[row["activist_org_id"]].append(row["activist_on"])
        if row["admitted_on"] and row["admitted_on"].year == year:
            admissions[row["admitting_org_id"]].append(row["admitted_on"])
    facts = [
        OutstationBranchFacts(branch_id=b["branch_id"], township_id=b["home_org_id"],
                              established_on=b["established_on"],
                              activists_designated=tuple(activists[b["branch_id"]]),
                              admissions_approved=tuple(admissions[b["branch_id"]]))
        for b in await branches.established(pool, township)
    ]
    # Every township of the register, so one that set up no branch is listed as missed, not left out.
    register = [township] if township else [r["org_id"] for r in await organisations.townships(pool, as_of)]
    policy = await policy_in_force(pool, "membership", "organisation", as_of)
    return asdict(targets(facts, year, as_of, townships=register, policy=policy))


@operation(router, "/targets", roles=STAFF, action="read the targets report", scope=Scope.TOWNSHIP)
async def targets_report(
    actor: CurrentActor, pool: DatedReadPool, when: AsOfDep, year: Annotated[int, Query(ge=2000, le=2100)],
    on: Annotated[Day, Query(description="The effective day: count the branches, activists and admissions that "
                                         "took effect by this day (default: 31 December; a day alone in "
                                         "`as_of` means the same, as before).")] = None,
    township: Annotated[IdQuery, Query(description="One township committee's id.")] = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """Golden Bridge targets: each township ≥1 outstation branch established by 30 June; each outstation
    branch ≥2 activists cultivated and ≥1 member admitted in the year. Statuses are met, open or missed."""
    township = own_township(actor, township)
    await wait_for_position(pool, REGISTRY.source, min_position)
    return await membership_targets(pool, year, on or when.day or date(year, 12, 31), township)


@operation(router, "/townships", roles=STAFF, action="read the register of townships", scope=Scope.TOWNSHIP)
async def township_register(
    actor: CurrentActor, pool: DatedReadPool, when: AsOfDep,
    on: Annotated[Day, Query(description="The day the register and the headcounts are read for (default today).")]
    = None,
    township: Annotated[IdQuery, Query(description="One township committee's id.")] = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """The register of townships every target report counts: each township committee with its outstation
    branches, and its organs' and stations' headcount in force on the day — each headcount with its source, the
    day it took effect and the unit record it comes from (the secondment service's ``/v1/units``)."""
    township = own_township(actor, township)
    await wait_for_position(pool, REGISTRY.source, min_position)
    day = on or when.day or clock.today()
    known = await organisations.townships(pool, day)
    outstation: dict[str, list[str]] = defaultdict(list)
    for b in await branches.established(pool, township):
        if b["established_on"] <= day:
            outstation[b["home_org_id"]].append(b["branch_id"])
    by_township: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for unit in await units.units(pool, township):
        in_force = [(since, n) for since, n in unit.headcounts if since <= day]
        if in_force:
            since, headcount = in_force[-1]
            by_township[unit.township_id].append({
                "unit_id": unit.unit_id, "name": unit.name, "kind": unit.kind.value if unit.kind else None,
                "headcount": headcount,
                "headcount_source": f"unit record {unit.unit_id}, headcount in force from {since}"})
    ids = [township] if township else sorted({r["org_id"] for r in known} | set(outstation) | set(by_township))
    names = {r["org_id"]: (r["name"], r["established_on"]) for r in known}
    return {"on": day.isoformat(), "townships": [{
        "township_id": t, "name": names.get(t, (None, None))[0], "established_on": names.get(t, (None, None))[1],
        "recorded": t in names, "outstation_branches": sorted(outstation.get(t, [])),
        "headcount": sum(u["headcount"] for u in by_township.get(t, [])) if by_township.get(t) else None,
        "units": by_township.get(t, []),
    } for t in ids]}


@operation(router, "/destinations", roles=STAFF, action="read where members are", scope=Scope.TOWNSHIP,
           note="`home_org_id` names the township")
async def destinations(
    actor: CurrentActor, pool: ReadPool, home_org_id: IdQuery = None, min_position: MinPosition = None,
) -> dict[str, Any]:
    """Where members away from home are, by destination — and where three or more go, a branch (or a
    temporary branch or Party group) should be set up there (B4)."""
    home_org_id = own_township(actor, home_org_id)
    await wait_for_position(pool, REGISTRY.source, min_position)
    rows = await members.members_away(pool, home_org_id)
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["destination"]] += 1
    policy = await policy_in_force(pool, "membership", "mobility", clock.today())
    flagged = set(branch_needed(((r["member_id"], r["destination"]) for r in rows), policy))
    return {
        "threshold": policy.cluster_branch_threshold,
        "policy_version": policy.version,
        "items": [{"destination": d, "members_away": n, "branch_advised": d in flagged}
                  for d, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))],
    }
