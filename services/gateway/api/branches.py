"""Outstation branches: read one, list them (establishing one is a command of the membership service).

The branch directory is public to every role (Scope.DIRECTORY): which branches exist, where, under which
home organisation and how many members they count is what members away and host organisations look up
to find their branch; nothing personal is in it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.gateway.api.access import ANYONE, Scope, operation
from services.gateway.api.deps import Cursor, IdQuery, Limit, PathId, ReadPool, TextQuery
from services.gateway.api.positions import MinPosition
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import branches
from services.gateway.readmodels.waiting import page, wait_for_position
from services.membership.contract.events import REGISTRY, BuildMode, FoundingBasis
from services.pure.errors import NotFound

router = APIRouter(prefix="/v1/branches", tags=["branches"])
SOURCE = REGISTRY.source


@operation(router, "/{branch_id}", roles=ANYONE, scope=Scope.DIRECTORY, action="read branches")
async def get_branch(branch_id: PathId, actor: CurrentActor, pool: ReadPool,
                     min_position: MinPosition = None) -> dict[str, Any]:
    """One branch with its member counts (how many are registered, how many are away)."""
    await wait_for_position(pool, SOURCE, min_position)
    row = await branches.branch(pool, branch_id)
    if row is None:
        raise NotFound(f"no branch {branch_id}; if you just created it, pass min_position")
    return dict(row)


@operation(router, "", roles=ANYONE, scope=Scope.DIRECTORY, action="list branches")
async def list_branches(
    actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None, limit: Limit = 50,
    cursor: Cursor = None, destination: Annotated[TextQuery, Query(description="Exact destination.")] = None,
    founding_basis: FoundingBasis | None = None, build_mode: BuildMode | None = None,
    home_org_id: IdQuery = None,
) -> dict[str, Any]:
    """Branches, ordered by id, filtered by destination, founding basis, build mode or home organisation."""
    await wait_for_position(pool, SOURCE, min_position)
    rows = await branches.branches(
        pool, after=cursor, destination=destination, founding_basis=founding_basis and founding_basis.value,
        build_mode=build_mode and build_mode.value, home_org_id=home_org_id, limit=limit + 1)
    items, next_cursor = page(rows, limit, "branch_id")
    return {"items": items, "next_cursor": next_cursor}
