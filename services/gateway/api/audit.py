"""Audit: a record's history as the owning service stored it, with its hash chain verified."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.gateway.api.access import Scope, operation
from services.gateway.auth import CurrentActor
from services.gateway.commands import call_service
from services.pure.identity import Role

#: The services that own records: those of services/system.py (tests/unit/gateway/test_audit_services.py).
Service = Literal["membership", "secondment", "investment", "partners"]

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@operation(router, "/streams/{stream_id}", roles=(Role.COUNTY_ADMIN,), action="audit history",
           scope=Scope.COUNTY)
async def stream_history(
    stream_id: str, request: Request, actor: CurrentActor,
    service: Annotated[Service, Query(description="The service that owns the record.")] = "membership",
    up_to_version: Annotated[int | None, Query(ge=1, description="Only the first N events of the record.")] = None,
    as_of: Annotated[datetime | None, Query(description="The history as it was recorded at this time.")] = None,
) -> Response:
    """Every event of one record (a branch, a person, a dues account, a secondment, a lead…) as CloudEvents,
    in order, and whether its per-record hash chain verifies (an edited or deleted event breaks it).
    County administrators only."""
    params = {k: str(v) for k, v in (("up_to_version", up_to_version), ("as_of", as_of)) if v is not None}
    upstream = await call_service(request, service, actor, "GET", f"/audit/streams/{quote(stream_id, safe='')}",
                                  params=params)
    return Response(upstream.content, status_code=upstream.status_code,
                    media_type=upstream.headers.get("content-type", "application/json"))
