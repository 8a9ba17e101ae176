"""Outstation branches: establish one, read one, list them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from services.gateway.api.deps import Cursor, Limit, MinPosition, ReadPool
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import page, wait_for_position
from services.membership.contract.events import REGISTRY, BuildMode, FoundingBasis
from services.pure.errors import NotFound

router = APIRouter(prefix="/v1/branches", tags=["branches"])
SOURCE = REGISTRY.source


@router.get("/{branch_id}")
async def get_branch(branch_id: str, actor: CurrentActor, pool: ReadPool,
                     min_position: MinPosition = None) -> dict[str, Any]:
    """One branch with its member counts (how many are registered, how many are away)."""
    await wait_for_position(pool, SOURCE, min_position)
    row = await pool.fetchrow("SELECT * FROM branches_with_counts WHERE branch_id = $1", branch_id)
    if row is None:
        raise NotFound(f"no branch {branch_id}; if you just created it, pass min_position")
    return dict(row)


@router.get("")
async def list_branches(
    actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None, limit: Limit = 50,
    cursor: Cursor = None, destination: str | None = Query(None, description="Exact destination."),
    founding_basis: FoundingBasis | None = None, build_mode: BuildMode | None = None,
    home_org_id: str | None = None,
) -> dict[str, Any]:
    """Branches, ordered by id, filtered by destination, founding basis, build mode or home organisation."""
    await wait_for_position(pool, SOURCE, min_position)
    rows = await pool.fetch(
        "SELECT * FROM branches_with_counts WHERE ($1::text IS NULL OR branch_id > $1)"
        " AND ($2::text IS NULL OR destination = $2) AND ($3::text IS NULL OR founding_basis = $3)"
        " AND ($4::text IS NULL OR build_mode = $4) AND ($5::text IS NULL OR home_org_id = $5)"
        " ORDER BY branch_id LIMIT $6",
        cursor, destination, founding_basis and founding_basis.value, build_mode and build_mode.value,
        home_org_id, limit + 1,
    )
    items, next_cursor = page(rows, limit, "branch_id")
    return {"items": items, "next_cursor": next_cursor}
