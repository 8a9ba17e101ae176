"""Members: register, register an outflow, read one, list them (ID numbers masked by role)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Query

from services.gateway.api.deps import Cursor, Limit, MinPosition, ReadPool
from services.gateway.auth import CurrentActor, require
from services.gateway.readmodels import page, wait_for_position
from services.membership.contract.events import REGISTRY
from services.membership.contract.values import mask_national_id
from services.pure.errors import Forbidden, NotFound
from services.pure.identity import Actor, Role

router = APIRouter(prefix="/v1/members", tags=["members"])
SOURCE = REGISTRY.source
_WRITERS = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE, Role.BRANCH_SECRETARY)


def _shown(row: Any, actor: Actor) -> dict[str, Any]:
    item = dict(row)
    for key in ("contact", "outflow"):
        if isinstance(item.get(key), str):
            item[key] = orjson.loads(item[key])
    if not actor.may_see_national_id():
        item["national_id"] = mask_national_id(item["national_id"])
    return item


@router.get("/{member_id}")
async def get_member(member_id: str, actor: CurrentActor, pool: ReadPool,
                     min_position: MinPosition = None) -> dict[str, Any]:
    """One member. The national ID number is masked except for county and township staff."""
    await wait_for_position(pool, SOURCE, min_position)
    row = await pool.fetchrow("SELECT * FROM members_view WHERE member_id = $1", member_id)
    if row is None:
        raise NotFound(f"no member {member_id}; if you just registered them, pass min_position")
    if actor.role is Role.BRANCH_SECRETARY and row["formal_org_id"] != actor.org_id:
        raise Forbidden("a branch secretary sees only the members of their own branch")
    if actor.role is Role.MEMBER and actor.subject != member_id:
        raise Forbidden("a member sees only their own record")
    if actor.role is Role.HOST_ORGANISATION:
        raise Forbidden("host organisations see branches, not member records")
    return _shown(row, actor)


@router.get("")
async def list_members(
    actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None, limit: Limit = 50,
    cursor: Cursor = None, formal_org_id: str | None = None,
    away: bool | None = Query(None, description="Only members registered as away (true) or at home (false)."),
    destination: str | None = Query(None, description="Destination of members who are away."),
) -> dict[str, Any]:
    """Members by formal organisation, mobility status and destination. Secretaries see their branch only."""
    require(actor, "list members", *_WRITERS)
    if actor.role is Role.BRANCH_SECRETARY:
        if formal_org_id not in (None, actor.org_id):
            raise Forbidden("a branch secretary lists only the members of their own branch")
        formal_org_id = actor.org_id
    await wait_for_position(pool, SOURCE, min_position)
    rows = await pool.fetch(
        "SELECT * FROM members_view WHERE ($1::text IS NULL OR member_id > $1)"
        " AND ($2::text IS NULL OR formal_org_id = $2) AND ($3::bool IS NULL OR away = $3)"
        " AND ($4::text IS NULL OR outflow->>'destination' = $4) ORDER BY member_id LIMIT $5",
        cursor, formal_org_id, away, destination, limit + 1,
    )
    items, next_cursor = page(rows, limit, "member_id")
    return {"items": [_shown(i, actor) for i in items], "next_cursor": next_cursor}
