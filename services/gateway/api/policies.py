"""County policy as published: each service's settings in force on a day, read from its own store's policy stream."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from services import system
from services.gateway.api.access import Scope, operation
from services.gateway.auth import CurrentActor
from services.gateway.commands import call_service, relay_response
from services.gateway.readmodels.policies import BOOKS
from services.kernel import clock
from services.kernel.bodies import Moment
from services.kernel.events import encode
from services.pure.identity import Role
from services.pure.policy_data import POLICY_STREAM, PolicyChangePublished, history, in_force, settings_json

#: The services whose numbers the county publishes (POST /v1/policies/{service}); dues scales: /v1/dues/scales.
PolicyService = Literal["membership", "secondment", "investment", "workers"]

# Under /v1/audit: the answer is read from the service's own store (its hash-chained policy stream), as recorded
# at ``as_of`` like every audit read, not from a read model.
router = APIRouter(prefix="/v1/audit/policies", tags=["audit"])


@operation(router, "/{service}", roles=(Role.COUNTY_ADMIN,), action="read county policy", scope=Scope.COUNTY)
async def policies_in_force(
    service: PolicyService, request: Request, actor: CurrentActor,
    on: Annotated[date | None, Query(description="The day whose policy is wanted (default: the county's today).")]
    = None,
    as_of: Annotated[Moment | None, Query(description="As the county had published it at this time (RFC 3339 with "
                                                      "its offset, e.g. 2026-06-30T18:00:00+08:00).")] = None,
) -> Response:
    """Every policy of a service in force on a day — its code version overlaid with the changes the county
    published that are effective by then — with each setting's value, the version decisions record, and the
    history of published changes (effective day, values, reason, who and when). County administrators only."""
    params = {"as_of": str(as_of)} if as_of is not None else None
    upstream = await call_service(request, service, actor, "GET", f"/audit/streams/{POLICY_STREAM}", params=params)
    if upstream.status_code != 200:
        return relay_response(upstream)
    registry = next(s.registry for s in system.SERVICES if s.name == service)
    published = tuple(e for e in (registry.decode(ce["type"], encode(ce["data"])) for ce in upstream.json()["events"])
                      if isinstance(e, PolicyChangePublished))
    day = on or clock.today()
    book = BOOKS[service]
    answer: dict[str, Any] = {
        "service": service, "on": day.isoformat(),
        "policies": {name: _policy(in_force(versions, published, name, day)) for name, versions in book.code.items()},
        "code_only": dict(book.code_only),
        "changes": [{"change_id": c.change_id, "policy": c.policy, "effective_from": c.effective_from.isoformat(),
                     "changes": c.changes, "reason": c.reason, "published_on": c.published_on.isoformat(),
                     "actor": c.actor} for c in history(published)],
    }
    return JSONResponse(answer)


def _policy(policy: Any) -> dict[str, Any]:
    return {"version": policy.version, "effective_from": policy.effective_from.isoformat(),
            "settings": settings_json(policy)}
