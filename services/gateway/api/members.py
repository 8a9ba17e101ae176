"""Members: read one, list them (ID numbers masked by role); registering and outflows are commands."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query

from services.gateway.api.access import KEEPERS, Scope, narrow, operation, reachable_orgs
from services.gateway.api.deps import Cursor, IdQuery, Limit, PathId, ReadPool, TextQuery
from services.gateway.api.positions import MinPosition
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import members
from services.gateway.readmodels.waiting import page, wait_for_position
from services.membership.contract.events import REGISTRY
from services.membership.contract.values import mask_national_id
from services.pure.errors import NotFound
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
           scope=Scope.MEMBER, note="The national ID number is shown to county and township staff only")
async def get_member(member_id: PathId, actor: CurrentActor, pool: ReadPool,
                     min_position: MinPosition = None) -> dict[str, Any]:
    """One member. The national ID number is masked except for county and township staff."""
    await wait_for_position(pool, SOURCE, min_position)
    row = await members.member(pool, member_id)
    if row is None:
        raise NotFound(f"no member {member_id}; if you just registered them, pass min_position")
    return _shown(row, actor)


@operation(router, "", roles=KEEPERS, action="list members", scope=Scope.ORGANISATION,
           note="Lists the members whose formal organisation the caller reaches")
async def list_members(
    actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None, limit: Limit = 50,
    cursor: Cursor = None, formal_org_id: IdQuery = None,
    away: bool | None = Query(None, description="Only members registered as away (true) or at home (false)."),
    destination: Annotated[TextQuery, Query(description="Destination of members who are away.")] = None,
) -> dict[str, Any]:
    """Members by formal organisation, mobility status and destination, of the organisations the caller reaches."""
    await wait_for_position(pool, SOURCE, min_position)
    orgs = narrow(await reachable_orgs(pool, actor), formal_org_id, actor)
    rows = await members.members(pool, after=cursor, org_ids=orgs, away=away, destination=destination,
                                 limit=limit + 1)
    items, next_cursor = page(rows, limit, "member_id")
    return {"items": [_shown(i, actor) for i in items], "next_cursor": next_cursor}
