"""Transfers of organisational relationship: in progress, overdue, and their receipts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.gateway.api.deps import Cursor, Limit, MinPosition, ReadPool
from services.gateway.auth import CurrentActor, require
from services.gateway.readmodels import page, wait_for_position
from services.membership.contract.events import REGISTRY
from services.pure.identity import Role

router = APIRouter(prefix="/v1/transfers", tags=["transfers"])
IN_PROGRESS = ("requested", "letter_issued")


@router.get("")
async def list_transfers(
    actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None, limit: Limit = 50, cursor: Cursor = None,
    org_id: Annotated[str | None, Query(description="Sending or receiving organisation.")] = None,
    state: Annotated[str | None, Query(description="requested, letter_issued, received, completed, expired, "
                                                   "cancelled; or in_progress")] = None,
    overdue_on: Annotated[date | None, Query(description="Only letters still not received after their last valid "
                                                         "day, as of this day.")] = None,
) -> dict[str, Any]:
    """Transfers, newest first by id: in progress (the sender stays responsible), overdue, or closed.

    A branch secretary or host organisation sees the transfers from or to their organisation."""
    require(actor, "list transfers", Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE, Role.BRANCH_SECRETARY,
            Role.HOST_ORGANISATION)
    if actor.role in (Role.BRANCH_SECRETARY, Role.HOST_ORGANISATION):
        org_id = actor.org_id
    await wait_for_position(pool, REGISTRY.source, min_position)
    states = list(IN_PROGRESS) if state == "in_progress" else ([state] if state else None)
    rows = await pool.fetch(
        "SELECT * FROM transfers_view WHERE ($1::text IS NULL OR transfer_id > $1)"
        " AND ($2::text IS NULL OR from_org_id = $2 OR to_org_id = $2) AND ($3::text[] IS NULL OR state = ANY($3))"
        " AND ($4::date IS NULL OR (state = 'letter_issued' AND valid_until < $4)) ORDER BY transfer_id LIMIT $5",
        cursor, org_id, states, overdue_on, limit + 1,
    )
    items, next_cursor = page(rows, limit, "transfer_id")
    return {"items": items, "next_cursor": next_cursor}
