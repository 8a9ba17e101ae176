"""The progress of as-of rebuilds: what a client polls after a read with ``as_of`` answered 202."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from services.gateway import as_of_queue
from services.gateway.api.access import ANYONE, Scope, operation
from services.gateway.api.as_of import BUILD_SCHEMA, progress_body
from services.gateway.auth import CurrentActor
from services.pure.errors import NotFound

router = APIRouter(prefix="/v1", tags=["as-of"])

BuildId = Annotated[str, Path(pattern=r"^[0-9a-f]{20}$", description="The rebuild's id (`GB-As-Of-Build`).")]


@operation(router, "/as-of/{build_id}", roles=ANYONE, scope=Scope.REPLAY, action="follow an as-of rebuild",
           responses={200: {"content": {"application/json": {"schema": BUILD_SCHEMA}}}})
async def as_of_progress(build_id: BuildId, request: Request, actor: CurrentActor) -> dict[str, Any]:
    """How far the rebuild of the read models as of a recorded time has come: events read of the total,
    events applied, percent, and — once `ready` — the store positions it reflects. Repeat the request that
    answered 202 when `state` is `ready`; `failed` says why (asking again starts it again)."""
    row = await as_of_queue.find(request.app.state.read_pool, build_id)
    if row is None:
        raise NotFound(f"no as-of rebuild {build_id} (rebuilds not asked about for a while are dropped): "
                       "repeat the request with as_of to start it again")
    return progress_body(as_of_queue.describe(row))
