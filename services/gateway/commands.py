"""Declares a public command route: validate the body, check the role, forward to the owning service.

Each command is one declaration, so the OpenAPI page documents every body while the forwarding,
the role pre-check and the problem+json pass-through are written once.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.gateway.api.deps import service_client
from services.gateway.auth import CurrentActor, require
from services.gateway.upstream import forward, relay_response
from services.kernel.bodies import body_model
from services.kernel.command_api import Accepted
from services.kernel.identity import Actor, Role
from services.kernel.routes import Route

_PARAM = re.compile(r"{(\w+)}")
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or invalid bearer token"},
    403: {"description": "Your role or organisation may not do this"},
    404: {"description": "A record named in the path or body does not exist"},
    409: {"description": "The record changed or is in a state that does not allow this; reload and retry"},
    413: {"description": "Body too large"},
    422: {"description": "Invalid body, or a rule of the Golden Bridge Project refuses the command"},
}


def command_route(
    router: APIRouter,
    path: str,
    body: type[BaseModel],
    *,
    roles: tuple[Role, ...],
    action: str,
    doc: str,
    location: Callable[[dict[str, Any], dict[str, str]], str] | None = None,
    upstream_path: str | None = None,
    service: str = "membership",
) -> None:
    """Register ``POST {router.prefix}{path}`` forwarding to ``service`` at ``upstream_path``.

    ``location`` builds the Location header from the 201 body and the path parameters.
    """
    full = f"{router.prefix}{path}"
    target = upstream_path or full.removeprefix("/v1")

    async def endpoint(request: Request, actor: Actor, **_: Any) -> Response:
        require(actor, action, *roles)
        params = {k: str(v) for k, v in request.path_params.items()}
        upstream = await forward(service_client(request, service), request, actor, target.format(**params))
        where = location(upstream.json(), params) if location and upstream.status_code == 201 else None
        return relay_response(upstream, where)

    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter("actor", inspect.Parameter.KEYWORD_ONLY, annotation=CurrentActor),
        inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=body),
        *(inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY, annotation=str) for p in _PARAM.findall(path)),
    ]
    endpoint.__signature__ = inspect.Signature(parameters, return_annotation=Response)  # type: ignore[attr-defined]
    endpoint.__doc__ = doc
    endpoint.__name__ = re.sub(r"\W+", "_", action).strip("_")
    router.add_api_route(path, endpoint, methods=["POST"], status_code=201, response_model=Accepted,
                         responses=ERRORS, summary=doc.strip().splitlines()[0].rstrip("."))


#: Who may send each command (the service checks scope again) and what it does, by command class.
RoleTable = dict[type, tuple[tuple[Role, ...], str]]


def route_table(router: APIRouter, routes: Iterable[Route], roles: RoleTable, *, service: str = "membership",
                strip: str = "", location: Callable[[dict[str, Any], dict[str, str]], str] | None = None) -> None:
    """Declare every route of a service's route table, with the roles and the doc from ``roles``.

    ``strip`` removes a prefix the router already has (its path in the table stays the service's)."""
    for route in routes:
        allowed, doc = roles[route.command]
        command_route(router, route.path.removeprefix(strip), body_model(route.command, route.body_excludes),
                      roles=allowed, action=route.command.__name__, doc=doc, location=location, service=service)
