"""Party dues: commands on members' accounts, the member's own statement and the branch ledger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.gateway.api.deps import MinPosition, ReadPool
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import wait_for_position
from services.membership.contract.events import REGISTRY
from services.pure.errors import Forbidden
from services.pure.identity import Role

router = APIRouter(prefix="/v1", tags=["dues"])


@router.get("/members/{member_id}/dues")
async def member_statement(member_id: str, actor: CurrentActor, pool: ReadPool,
                           year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
                           min_position: MinPosition = None) -> dict[str, Any]:
    """A member's statement: each month's amount and how it was computed (base, bracket, rate, policy), and paid."""
    if actor.role is Role.MEMBER and actor.subject != member_id:
        raise Forbidden("a member sees their own dues statement only")
    await wait_for_position(pool, REGISTRY.source, min_position)
    rows = await pool.fetch(
        "SELECT * FROM dues_months_view WHERE member_id = $1 AND ($2::int IS NULL OR month LIKE $2::text || '-%')"
        " ORDER BY month", member_id, year,
    )
    if actor.role is Role.BRANCH_SECRETARY and any(r["org_id"] != actor.org_id for r in rows):
        raise Forbidden("a branch secretary sees the dues of their own branch's members only")
    return {"member_id": member_id, "months": [dict(r) for r in rows]}


@router.get("/organisations/{org_id}/dues/ledger")
async def branch_ledger(
    org_id: str, actor: CurrentActor, pool: ReadPool, year: Annotated[int, Query(ge=2000, le=2100)],
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """The branch ledger: expected versus paid per month, extras, and what was received for other organisations."""
    if actor.role is Role.BRANCH_SECRETARY and actor.org_id != org_id:
        raise Forbidden("a branch secretary sees their own branch's ledger only")
    if actor.role is Role.MEMBER:
        raise Forbidden("members see their own statement, not a branch ledger")
    await wait_for_position(pool, REGISTRY.source, min_position)
    months = await pool.fetch(
        "SELECT month, sum(coalesce(amount, 0)) AS expected, sum(paid) AS paid, count(*) AS members"
        " FROM dues_months_view WHERE org_id = $1 AND month LIKE $2 || '-%' GROUP BY month ORDER BY month",
        org_id, str(year),
    )
    payments = await pool.fetchrow(
        "SELECT coalesce(sum(amount), 0) AS received, coalesce(sum(extra), 0) AS extras,"
        " coalesce(sum(amount) FILTER (WHERE org_id <> $1), 0) AS for_other_organisations"
        " FROM dues_payments_view WHERE receiving_org_id = $1 AND extract(year FROM paid_on) = $2",
        org_id, year,
    )
    return {"org_id": org_id, "year": year, "months": [dict(m) for m in months], "payments": dict(payments)}
