"""Party dues: commands on members' accounts, the member's own statement and the branch ledger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.gateway.api.deps import MinPosition, ReadPool
from services.gateway.auth import CurrentActor
from services.gateway.commands import route_table
from services.gateway.readmodels import wait_for_position
from services.kernel.errors import Forbidden
from services.kernel.identity import Role
from services.membership.commands import dues as cmd
from services.membership.events import REGISTRY
from services.membership.routes import DUES_STEPS

router = APIRouter(prefix="/v1", tags=["dues"])
_STAFF = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
_BRANCH = (*_STAFF, Role.BRANCH_SECRETARY)

DUES_ROLES: dict[type, tuple[tuple[Role, ...], str]] = {
    cmd.PublishDuesScale: ((Role.COUNTY_ADMIN,), "Publish a dues scale, effective from the first day of a "
                                                 "month (never retroactive). The 2008 national scale is the default."),
    cmd.OpenAccount: (_BRANCH, "Open a member's dues account: category, base and the month dues are owed from "
                               "(probationary members: their admission month)."),
    cmd.DeclareIncome: ((*_BRANCH, Role.MEMBER), "Declare a new income base from a month (applied as the policy's "
                                                  "change-of-income rule says)."),
    cmd.AssessMonth: (_BRANCH, "Assess one month: base, bracket, rate and the policy version are recorded."),
    cmd.ApproveReduction: (_STAFF, "Approve a reduction (the next-higher committee, after the branch studied it)."),
    cmd.ApproveExemption: (_STAFF, "Approve an exemption (the next-higher committee, after the branch studied it)."),
    cmd.RecordPayment: ((*_BRANCH, Role.HOST_ORGANISATION),
                        "Record a payment by the member or a proxy: consecutive months from the oldest unpaid, at "
                        "most 6 months of arrears and 6 of prepayment; an organisation never pays for a member; a "
                        "voluntary payment of 1000 yuan or more goes to the Central Committee. Amounts are strings "
                        "with at most two decimals."),
    cmd.RecordValidReason: (_BRANCH, "Record a valid reason for unpaid months (they no longer count for lapse)."),
    cmd.ContinueAfterTransfer: ((*_BRANCH, Role.HOST_ORGANISATION),
                                "Continue dues at the receiving organisation from the month after the letter's "
                                "'paid up to' month: no gap, no double charge."),
    cmd.RemitUpward: (_BRANCH, "Pass a period's collected dues upward (exactly what the branch collected)."),
}

route_table(router, DUES_STEPS, DUES_ROLES)


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
