"""Member development: the pipeline from application to full membership, and its funnel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.gateway.api.access import KEEPERS, Scope, narrow, operation, reachable_orgs
from services.gateway.api.as_of import AsOfDep
from services.gateway.api.deps import Cursor, DatedReadPool, Day, IdQuery, Keyword, Limit, PathId, ReadPool
from services.gateway.api.positions import MinPosition
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import development
from services.gateway.readmodels.development import STAGES
from services.gateway.readmodels.waiting import page, wait_for_position
from services.kernel import clock
from services.membership.contract.events import REGISTRY
from services.pure.errors import NotFound
from services.pure.identity import Role

router = APIRouter(prefix="/v1/development", tags=["member development"])
_NOTE = "Lists the cases of the organisations the caller reaches"


@operation(router, "/cases", roles=KEEPERS, scope=Scope.CASE, note=_NOTE, action="read development cases")
async def list_cases(
    actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None, limit: Limit = 50, cursor: Cursor = None,
    org_id: IdQuery = None, stage: Annotated[Keyword, Query(description=f"One of {', '.join(STAGES)}")] = None,
) -> dict[str, Any]:
    """Development cases with their stage and the date of each step, filtered by organisation and stage."""
    await wait_for_position(pool, REGISTRY.source, min_position)
    orgs = narrow(await reachable_orgs(pool, actor), org_id, actor)
    rows = await development.cases(pool, after=cursor, org_ids=orgs, stage=stage, limit=limit + 1)
    items, next_cursor = page(rows, limit, "person_id")
    return {"items": items, "next_cursor": next_cursor}


@operation(router, "/cases/{person_id}", roles=(*KEEPERS, Role.MEMBER), action="read development cases",
           scope=Scope.CASE)
async def get_case(person_id: PathId, actor: CurrentActor, pool: ReadPool,
                   min_position: MinPosition = None) -> dict[str, Any]:
    """One development case."""
    await wait_for_position(pool, REGISTRY.source, min_position)
    row = await development.case(pool, person_id)
    if row is None:
        raise NotFound(f"no development case {person_id}; if you just submitted it, pass min_position")
    return dict(row)


@operation(router, "/funnel", roles=KEEPERS, scope=Scope.CASE, action="read the development funnel",
           note="Counts the cases of the organisations the caller reaches")
async def funnel(
    actor: CurrentActor, pool: DatedReadPool, when: AsOfDep, min_position: MinPosition = None,
    org_id: IdQuery = None,
    on: Annotated[Day, Query(description="Day to measure time in stage from (default today; a day alone in "
                                         "`as_of` means the same, as before).")] = None,
) -> dict[str, Any]:
    """Cases per stage with days in stage (average and longest) and how many have overdue steps."""
    await wait_for_position(pool, REGISTRY.source, min_position)
    orgs = narrow(await reachable_orgs(pool, actor), org_id, actor)
    by_stage = {r["stage"]: dict(r) for r in await development.stages(pool, orgs, on or when.day or clock.today())}
    empty = {"cases": 0, "avg_days_in_stage": None, "max_days_in_stage": None, "with_overdue_steps": 0}
    return {
        "org_id": org_id,
        "stages": [{"stage": s, **{k: v for k, v in by_stage.get(s, empty).items() if k != "stage"}}
                   for s in STAGES],
    }
