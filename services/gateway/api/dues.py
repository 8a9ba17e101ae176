"""Party dues: the member's own statement and the branch ledger (payments are membership commands)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.gateway.api.access import ANYONE, KEEPERS, Scope, operation
from services.gateway.api.deps import Day, PathId, ReadPool
from services.gateway.api.positions import MinPosition
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import dues
from services.gateway.readmodels.waiting import wait_for_position
from services.membership.contract.events import REGISTRY
from services.pure.identity import Role

router = APIRouter(prefix="/v1", tags=["dues"])


@operation(router, "/members/{member_id}/dues", roles=ANYONE, action="read dues statements", scope=Scope.MEMBER)
async def member_statement(member_id: PathId, actor: CurrentActor, pool: ReadPool,
                           year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
                           min_position: MinPosition = None) -> dict[str, Any]:
    """A member's statement: each month's amount and how it was computed (base, bracket, rate, policy), and paid;
    and each payment, with its voluntary extra and whether that extra went to the Party Centre (a voluntary
    payment at or over the scale's threshold, 1,000 yuan by the 2008 rules, is remitted to the Centre); and
    `account`: the organisation that keeps the account now (it moves when a transfer is received), the month
    owed from at the start (`owed_from`) and at the last move (`continued_from`, with the letter), who kept it
    before, and whether it is `open` or `closed` (`state`): an account closes when the membership ends — death,
    removal, or a transfer received outside the county — and is owed up to and including `closed_in` (the month it
    ended; `closed_reason`: died, removed or transferred_out; `closed_on`: the day), never after; arrears up to it
    stay owed and payable; a member who transferred out of the county and came back has it `open` again, kept by
    the receiving organisation from `continued_from`, and `gaps` lists each closing such a return reopened
    (`closed_in`, `closed_reason`, `reopened_from`, `reopened_on`, `letter_number`): the months between are owed by
    nobody here (null: no account opened)."""
    await wait_for_position(pool, REGISTRY.source, min_position)
    rows = await dues.statement(pool, member_id, year)
    payments = [dict(p) for p in await dues.payments_of(pool, member_id, year)]
    central = sum((p["extra"] for p in payments if p["to_central_committee"]), Decimal(0))
    account = await dues.account_of(pool, member_id)
    return {"member_id": member_id, "account": dict(account) if account else None,
            "months": [dict(r) for r in rows], "payments": payments, "to_central_committee": central}


@operation(router, "/organisations/{org_id}/dues/ledger", roles=(*KEEPERS, Role.HOST_ORGANISATION),
           action="read branch dues ledgers", scope=Scope.ORGANISATION)
async def branch_ledger(
    org_id: PathId, actor: CurrentActor, pool: ReadPool, year: Annotated[int, Query(ge=2000, le=2100)],
    on: Annotated[Day, Query(description="The effective day: count only the dues paid on or before this day "
                                         "(`paid`, `received`); `expected` is the months' assessments.")] = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """The branch ledger: expected versus paid per month, extras, what was received for other organisations, and
    the voluntary extras remitted to the Party Centre (`to_central_committee`)."""
    await wait_for_position(pool, REGISTRY.source, min_position)
    months = await dues.ledger_months(pool, org_id, year, on)
    payments = await dues.received(pool, org_id, year, on)
    return {"org_id": org_id, "year": year, "months": [dict(m) for m in months], "payments": dict(payments)}
