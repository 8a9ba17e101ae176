"""Per-organisation views: what is due or overdue there (the deadline engine's output)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.gateway.api.deps import Limit, MinPosition, ReadPool
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import wait_for_position
from services.membership.contract.events import REGISTRY
from services.membership.contract.events.meetings import MeetingKind
from services.membership.contract.values import HeldMeeting
from services.membership.contract.values import meeting_compliance as compliance
from services.pure.errors import Forbidden
from services.pure.identity import Role

router = APIRouter(prefix="/v1/organisations", tags=["organisations"])


@router.get("/{org_id}/due-items")
async def due_items(
    org_id: str, actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None, limit: Limit = 100,
    after: Annotated[date | None, Query(description="Only items due after this date (paging: the last due_on).")]
    = None,
    overdue: Annotated[bool | None, Query(description="Only overdue (true) or not yet overdue (false) items.")]
    = None,
    kind: Annotated[str | None, Query(description="One kind, e.g. interview_due, letter_expiry.")] = None,
) -> dict[str, Any]:
    """Due and overdue items of one organisation, earliest first (interviews, assessments, letters, reports…)."""
    if actor.role is Role.BRANCH_SECRETARY and actor.org_id != org_id:
        raise Forbidden("a branch secretary sees the due items of their own branch only")
    if actor.role is Role.MEMBER:
        raise Forbidden("members see their own record, not an organisation's due items")
    await wait_for_position(pool, REGISTRY.source, min_position)
    rows = await pool.fetch(
        "SELECT * FROM due_items_view WHERE org_id = $1 AND ($2::date IS NULL OR due_on > $2)"
        " AND ($3::bool IS NULL OR overdue = $3) AND ($4::text IS NULL OR kind = $4)"
        " ORDER BY due_on, subject_id, kind LIMIT $5",
        org_id, after, overdue, kind, limit + 1,
    )
    items = [dict(r) for r in rows[:limit]]
    return {"items": items, "next_after": str(items[-1]["due_on"]) if len(rows) > limit else None}


@router.get("/{org_id}/meeting-compliance")
async def meeting_compliance(
    org_id: str, actor: CurrentActor, pool: ReadPool, year: Annotated[int, Query(ge=2000, le=2100)],
    as_of: Annotated[date | None, Query(description="Judge periods ended by this day (default today).")] = None,
    has_committee: Annotated[bool, Query(description="The organisation has a committee (monthly meetings).")]
    = False,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """三會一課 for one organisation and year: per requirement, periods ended, meetings held, periods missed."""
    if actor.role is Role.BRANCH_SECRETARY and actor.org_id != org_id:
        raise Forbidden("a branch secretary sees the meetings of their own branch only")
    if actor.role is Role.MEMBER:
        raise Forbidden("members see their own record, not an organisation's meetings")
    await wait_for_position(pool, REGISTRY.source, min_position)
    rows = await pool.fetch(
        "SELECT kind, held_on, by_secretary FROM meetings_view WHERE org_id = $1 AND extract(year FROM held_on) = $2",
        org_id, year,
    )
    held = [HeldMeeting(MeetingKind(r["kind"]), r["held_on"], r["by_secretary"]) for r in rows]
    report = compliance(held, year, as_of or date.today(), has_committee=has_committee)
    return {"org_id": org_id, "year": year, "requirements": [asdict(line) for line in report]}
