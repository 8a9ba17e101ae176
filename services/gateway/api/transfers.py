"""Transfers of organisational relationship: in progress, overdue, and their receipts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.gateway.api.access import KEEPERS, Scope, narrow, operation, reachable_orgs
from services.gateway.api.deps import Cursor, Day, IdQuery, Keyword, Limit, ReadPool
from services.gateway.api.positions import MinPosition
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import transfers
from services.gateway.readmodels.waiting import page, wait_for_position
from services.membership.contract.events import REGISTRY
from services.pure.identity import Role

router = APIRouter(prefix="/v1/transfers", tags=["transfers"])


@operation(router, "", roles=(*KEEPERS, Role.HOST_ORGANISATION), action="list transfers",
           scope=Scope.ORGANISATION, note="Lists the transfers from or to an organisation the caller reaches")
async def list_transfers(
    actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None, limit: Limit = 50, cursor: Cursor = None,
    org_id: Annotated[IdQuery, Query(description="Sending or receiving organisation.")] = None,
    state: Annotated[Keyword, Query(description="requested, letter_issued, received, completed, expired, "
                                                   "cancelled; or in_progress")] = None,
    overdue_on: Annotated[Day, Query(description="Only letters still not received after their last valid "
                                                         "day, as of this day.")] = None,
) -> dict[str, Any]:
    """Transfers, newest first by id: in progress (the sender stays responsible), overdue, or closed.

    Each caller sees the transfers from or to the organisations they reach."""
    await wait_for_position(pool, REGISTRY.source, min_position)
    orgs = narrow(await reachable_orgs(pool, actor), org_id, actor)
    states = list(transfers.IN_PROGRESS) if state == "in_progress" else ([state] if state else None)
    rows = await transfers.transfers(pool, after=cursor, org_ids=orgs, states=states, overdue_on=overdue_on,
                                     limit=limit + 1)
    items, next_cursor = page(rows, limit, "transfer_id")
    return {"items": items, "next_cursor": next_cursor}
