"""Members: read one, list them (ID numbers masked by role); registering and outflows are commands."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query

from services.gateway.api.access import KEEPERS, operation
from services.gateway.api.deps import Cursor, IdQuery, Limit, PathId, ReadPool, TextQuery
from services.gateway.api.positions import MinPosition
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import members
from services.gateway.readmodels.waiting import page, wait_for_position
from services.membership.contract.events import REGISTRY
from services.membership.contract.values import mask_national_id
from services.pure.errors import Forbidden, NotFound
from services.pure.identity import Actor, Role

router = APIRouter(prefix="/v1/members", tags=["members"])
SOURCE = REGISTRY.source


def _shown(row: Any, actor: Actor) -> dict[str, Any]:
    item = dict(row)
    for key in ("contact", "outflow"):
        if isinstance(item.get(key), str):
            item[key] = orjson.loads(item[key])
    if not actor.may_see_national_id():
        item["national_id"] = mask_national_id(item["national_id"])
    return item


@operation(router, "/{member_id}", roles=(*KEEPERS, Role.MEMBER), action="read member records",
           scope="county and township staff: any member; a branch secretary: the members of their own branch; "
                 "a member: their own record. The national ID number is shown to county and township staff only")
async def get_member(member_id: PathId, actor: CurrentActor, pool: ReadPool,
                     min_position: MinPosition = None) -> dict[str, Any]:
    """One member. The national ID number is masked except for county and township staff."""
    await wait_for_position(pool, SOURCE, min_position)
    row = await members.member(pool, member_id)
    if row is None:
        raise NotFound(f"no member {member_id}; if you just registered them, pass min_position")
    if actor.role is Role.BRANCH_SECRETARY and row["formal_org_id"] != actor.org_id:
        raise Forbidden("a branch secretary sees only the members of their own branch")
    if actor.role is Role.MEMBER and actor.subject != member_id:
        raise Forbidden("a member sees only their own record")
    return _shown(row, actor)


@operation(router, "", roles=KEEPERS, action="list members",
           scope="county and township staff: every member; a branch secretary: the members of their own branch")
async def list_members(
    actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None, limit: Limit = 50,
    cursor: Cursor = None, formal_org_id: IdQuery = None,
    away: bool | None = Query(None, description="Only members registered as away (true) or at home (false)."),
    destination: Annotated[TextQuery, Query(description="Destination of members who are away.")] = None,
) -> dict[str, Any]:
    """Members by formal organisation, mobility status and destination. Secretaries see their branch only."""
    if actor.role is Role.BRANCH_SECRETARY:
        if formal_org_id not in (None, actor.org_id):
            raise Forbidden("a branch secretary lists only the members of their own branch")
        formal_org_id = actor.org_id
    await wait_for_position(pool, SOURCE, min_position)
    rows = await members.members(pool, after=cursor, formal_org_id=formal_org_id, away=away,
                                 destination=destination, limit=limit + 1)
    items, next_cursor = page(rows, limit, "member_id")
    return {"items": [_shown(i, actor) for i in items], "next_cursor": next_cursor}
