"""Party dues: the member's own statement and the branch ledger (payments are membership commands)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.gateway.api.access import ANYONE, KEEPERS, operation
from services.gateway.api.deps import PathId, ReadPool
from services.gateway.api.positions import MinPosition
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import dues
from services.gateway.readmodels.waiting import wait_for_position
from services.membership.contract.events import REGISTRY
from services.pure.errors import Forbidden
from services.pure.identity import Role

router = APIRouter(prefix="/v1", tags=["dues"])


@operation(router, "/members/{member_id}/dues", roles=ANYONE, action="read dues statements",
           scope="a member: their own statement; a branch secretary: their own branch's members; county and "
                 "township staff and host organisations: any member")
async def member_statement(member_id: PathId, actor: CurrentActor, pool: ReadPool,
                           year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
                           min_position: MinPosition = None) -> dict[str, Any]:
    """A member's statement: each month's amount and how it was computed (base, bracket, rate, policy), and paid."""
    if actor.role is Role.MEMBER and actor.subject != member_id:
        raise Forbidden("a member sees their own dues statement only")
    await wait_for_position(pool, REGISTRY.source, min_position)
    rows = await dues.statement(pool, member_id, year)
    if actor.role is Role.BRANCH_SECRETARY and any(r["org_id"] != actor.org_id for r in rows):
        raise Forbidden("a branch secretary sees the dues of their own branch's members only")
    return {"member_id": member_id, "months": [dict(r) for r in rows]}


@operation(router, "/organisations/{org_id}/dues/ledger", roles=(*KEEPERS, Role.HOST_ORGANISATION),
           action="read branch dues ledgers",
           scope="a branch secretary: their own branch's ledger; county and township staff and host "
                 "organisations: any organisation's")
async def branch_ledger(
    org_id: PathId, actor: CurrentActor, pool: ReadPool, year: Annotated[int, Query(ge=2000, le=2100)],
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """The branch ledger: expected versus paid per month, extras, and what was received for other organisations."""
    if actor.role is Role.BRANCH_SECRETARY and actor.org_id != org_id:
        raise Forbidden("a branch secretary sees their own branch's ledger only")
    await wait_for_position(pool, REGISTRY.source, min_position)
    months = await dues.ledger_months(pool, org_id, year)
    payments = await dues.received(pool, org_id, year)
    return {"org_id": org_id, "year": year, "months": [dict(m) for m in months], "payments": dict(payments)}
