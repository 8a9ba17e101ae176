"""Member development: the pipeline from application to full membership, and its funnel."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.gateway.api.deps import Cursor, Limit, MinPosition, ReadPool
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import page, wait_for_position
from services.membership.contract.events import REGISTRY
from services.pure.errors import Forbidden, NotFound
from services.pure.identity import Actor, Role

router = APIRouter(prefix="/v1/development", tags=["member development"])
STAGES = ("applicant", "activist", "development_target", "probationary", "full", "cancelled")


def _scope(actor: Actor, org_id: str | None) -> str | None:
    if actor.role is Role.BRANCH_SECRETARY:
        if org_id not in (None, actor.org_id):
            raise Forbidden("a branch secretary sees the development cases of their own branch only")
        return actor.org_id
    if actor.role in (Role.MEMBER, Role.HOST_ORGANISATION):
        raise Forbidden("development cases are seen by county, township and branch staff")
    return org_id


@router.get("/cases")
async def list_cases(
    actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None, limit: Limit = 50, cursor: Cursor = None,
    org_id: str | None = None, stage: Annotated[str | None, Query(description=f"One of {', '.join(STAGES)}")] = None,
) -> dict[str, Any]:
    """Development cases with their stage and the date of each step, filtered by organisation and stage."""
    org_id = _scope(actor, org_id)
    await wait_for_position(pool, REGISTRY.source, min_position)
    rows = await pool.fetch(
        "SELECT * FROM development_view WHERE ($1::text IS NULL OR person_id > $1)"
        " AND ($2::text IS NULL OR org_id = $2) AND ($3::text IS NULL OR stage = $3)"
        " ORDER BY person_id LIMIT $4",
        cursor, org_id, stage, limit + 1,
    )
    items, next_cursor = page(rows, limit, "person_id")
    return {"items": items, "next_cursor": next_cursor}


@router.get("/cases/{person_id}")
async def get_case(person_id: str, actor: CurrentActor, pool: ReadPool,
                   min_position: MinPosition = None) -> dict[str, Any]:
    """One development case."""
    await wait_for_position(pool, REGISTRY.source, min_position)
    row = await pool.fetchrow("SELECT * FROM development_view WHERE person_id = $1", person_id)
    if row is None:
        raise NotFound(f"no development case {person_id}; if you just submitted it, pass min_position")
    if actor.role is Role.MEMBER and actor.subject == person_id:
        return dict(row)
    _scope(actor, row["org_id"])
    return dict(row)


@router.get("/funnel")
async def funnel(
    actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None, org_id: str | None = None,
    as_of: Annotated[date | None, Query(description="Day to measure time in stage from (default today).")] = None,
) -> dict[str, Any]:
    """Cases per stage with days in stage (average and longest) and how many have overdue steps."""
    org_id = _scope(actor, org_id)
    await wait_for_position(pool, REGISTRY.source, min_position)
    rows = await pool.fetch(
        "SELECT d.stage, count(*) AS cases,"
        " round(avg(coalesce($2::date, current_date) - d.stage_since), 1) AS avg_days_in_stage,"
        " max(coalesce($2::date, current_date) - d.stage_since) AS max_days_in_stage,"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM due_items_view u WHERE u.subject_id = d.person_id"
        "   AND u.overdue)) AS with_overdue_steps"
        " FROM development_view d WHERE ($1::text IS NULL OR d.org_id = $1) GROUP BY d.stage",
        org_id, as_of,
    )
    by_stage = {r["stage"]: dict(r) for r in rows}
    empty = {"cases": 0, "avg_days_in_stage": None, "max_days_in_stage": None, "with_overdue_steps": 0}
    return {
        "org_id": org_id,
        "stages": [{"stage": s, **{k: v for k, v in by_stage.get(s, empty).items() if k != "stage"}}
                   for s in STAGES],
    }
