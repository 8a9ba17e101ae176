"""Publishes every service's command route rows under /v1: validate the body, check the role, forward
to the owning service with the caller's identity (in a credential signed for that one call) and retry
key, and pass its answer through.

The rows come from each service's contract, so the OpenAPI page documents every body, role and scope
while the forwarding, the role pre-check and the problem+json pass-through are written once.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from services.gateway import query_names
from services.gateway.api.deps import PathId, service_client
from services.gateway.auth import CurrentActor, require
from services.gateway.command_checks import CHECKS, GatewayCheck
from services.gateway.service_client import ServiceAnswer, ServiceUnreachable, request_target
from services.kernel import credential
from services.kernel.bodies import body_model
from services.kernel.command_api import Accepted
from services.kernel.http import CORRELATION_HEADER, correlation_id
from services.kernel.routes import CommandRoute
from services.kernel.service import ServiceDefinition
from services.kernel.settings import Settings
from services.pure.errors import Unavailable
from services.pure.identity import Actor, Role

_PARAM = re.compile(r"{(\w+)}")
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or invalid bearer token"},
    403: {"description": "Your role or organisation may not do this"},
    404: {"description": "A record named in the path or body does not exist"},
    409: {"description": "The record changed or is in a state that does not allow this; reload and retry"},
    413: {"description": "Body too large"},
    422: {"description": "Invalid body, or a rule of the Golden Bridge Project refuses the command"},
}


def publish(router: APIRouter, route: CommandRoute[Any], service: str, check: GatewayCheck | None = None) -> None:
    """Register ``POST /v1{route.path}``: check the row's roles (before the body), forward to ``service`` unchanged.

    The body model is the one the service validates, so the OpenAPI page documents every field; the
    owning service checks the row's scope against the record and answers (problem+json included).
    ``check``, if any, refuses on what only the gateway's read models know before anything is forwarded.
    """
    body = route.body or body_model(route.command, route.body_excludes)
    action = _words(route.command.__name__)

    async def endpoint(request: Request, actor: Actor, **fields: Any) -> Response:
        params = {k: str(v) for k, v in request.path_params.items()}
        if check is not None:
            await check(request, actor, params, fields.get("body"))
        upstream = await forward(request, service, actor, route.path.format(**params))
        where = None
        if route.location and upstream.status_code == 201:
            where = route.location.format(**params, id=upstream.json()["id"])
        return relay_response(upstream, where)

    caller = Annotated[Actor, Depends(role_check(route.roles, action))]
    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter("actor", inspect.Parameter.KEYWORD_ONLY, annotation=caller),
        inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=body | None, default=None)
        if _all_optional(body) else inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=body),
        *(inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY, annotation=PathId) for p in _PARAM.findall(route.path)),
    ]
    endpoint.__signature__ = inspect.Signature(parameters, return_annotation=Response)  # type: ignore[attr-defined]
    roles = ", ".join(r.value for r in route.roles)
    endpoint.__doc__ = f"{route.summary}\n\n**Roles:** {roles}. **Scope:** {route.scope}."
    endpoint.__name__ = re.sub(r"(?<!^)(?=[A-Z])", "_", route.command.__name__).lower()
    router.add_api_route(f"/v1{route.path}", endpoint, methods=[route.method], status_code=201,
                         response_model=Accepted, responses=ERRORS, summary=_first_sentence(route.summary),
                         tags=[route.path.strip("/").split("/")[0]],
                         openapi_extra=access_extension(route.roles, route.scope), route_class_override=_Command)


class _Command(APIRoute):
    """A command's route: it matches requests of its own method only, so that a read passes the hundred commands
    at the cost of a comparison each instead of a regular expression (FastAPI tries the routes one by one). A
    command path asked with another method is answered 405 by :class:`OtherMethods`, as before."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and scope["method"] not in (self.methods or ()):
            return Match.NONE, {}
        return super().matches(scope)


class OtherMethods(BaseRoute):
    """Last in the routing table: a request no route took whose path is a command's gets 405 with ``Allow``."""

    def __init__(self, router: APIRouter) -> None:
        self.commands = [route for route in router.routes if isinstance(route, _Command)]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http":
            for route in self.commands:
                methods = sorted(route.methods or ())
                if APIRoute.matches(route, {**scope, "method": methods[0]})[0] is Match.FULL:
                    return Match.PARTIAL, {"allow": ", ".join(methods)}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise HTTPException(status_code=405, headers={"Allow": scope["allow"]})


def _all_optional(body: type[BaseModel]) -> bool:
    return not any(field.is_required() for field in body.model_fields.values())


def role_check(roles: tuple[Role, ...], action: str) -> Callable[[Actor, Request], Awaitable[Actor]]:
    """The caller, as a dependency that refuses (403) a role the row does not name.

    A dependency runs before FastAPI validates the body, so a caller who may not send the command
    learns that first — not which fields their (empty or invalid) body lacks. Then a query parameter the
    operation does not take, or one given twice, is refused (services/gateway/query_names.py).
    """

    async def caller(actor: CurrentActor, request: Request) -> Actor:
        require(actor, action, *roles)
        query_names.refuse_unclear(request)
        return actor

    return caller


def access_extension(roles: Iterable[Role], scope: str) -> dict[str, Any]:
    """Who may call an operation, as OpenAPI extension fields (docs/endpoints.md is generated from them)."""
    return {"x-gb-roles": [r.value for r in roles], "x-gb-scope": scope}


def publish_commands(router: APIRouter, services: Iterable[ServiceDefinition],
                     checks: Mapping[type, GatewayCheck] = CHECKS) -> None:
    """Every command of every service on ``router``, each at ``/v1`` + its route row's path, with the gateway's
    check of its command type if it has one (services/gateway/command_checks.py).

    The gateway puts them first on its own router, not on one it includes: FastAPI matches the routes of an
    included router one by one twice per request (to choose the router, then the route), and every router
    before the commands' once more, which cost more than a tenth of the gateway's CPU per command (issue 14,
    bench/results/flame-gateway.svg). Reads pass them by their method (:class:`_Command`)."""
    for service in services:
        for route in service.routes:
            publish(router, route, service.name, checks.get(route.command))


_FORWARDED = ("idempotency-key", "x-correlation-id", "content-type")


async def forward(request: Request, service: str, actor: Actor, path: str) -> ServiceAnswer:
    """Send the client's command (its method and body) to ``service`` at ``path`` as ``actor``, with its retry
    key and correlation id. A command whose body has no required field may come without one (a DELETE)."""
    headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED}
    content = await request.body() or b"{}"
    return await call_service(request, service, actor, request.method, path, content=content, headers=headers)


async def call_service(request: Request, service: str, actor: Actor, method: str, path: str, *,
                       content: bytes = b"", params: dict[str, str] | None = None,
                       headers: dict[str, str] | None = None) -> ServiceAnswer:
    """Call a service's internal API as ``actor``: the request target is fixed first, then signed for exactly
    what goes on the wire (method, raw path and query, body) and for that service only."""
    settings: Settings = request.app.state.settings
    raw_path, query = request_target(path, params)
    target = credential.target(raw_path.encode("latin-1"), query.encode("latin-1"))

    def authorization() -> str:  # one per attempt: a service takes a credential once, on any of its instances
        return "Bearer " + credential.sign(settings.internal_secret, audience=service, actor=actor, method=method,
                                           request_target=target, body=content)

    try:
        return await service_client(request, service).request(
            method, raw_path, query, content=content, authorize=authorization,
            # Every call, a query too, carries the request's correlation id: the service logs under the same one.
            headers={CORRELATION_HEADER: correlation_id(request), **(headers or {})})
    except ServiceUnreachable as exc:
        raise Unavailable(f"the {service} service did not answer ({exc}); retry with the same "
                          "Idempotency-Key — a retry never applies a command twice") from None


def relay_response(upstream: ServiceAnswer, location: str | None = None) -> Response:
    """Pass the service's answer through unchanged (problem+json included, with its ``Retry-After``)."""
    headers: dict[str, Any] = {}
    if location and upstream.status_code == 201:
        headers["Location"] = location
    if upstream.status_code in (429, 503) and "retry-after" in upstream.headers:
        headers["Retry-After"] = upstream.headers["retry-after"]
    return Response(upstream.content, status_code=upstream.status_code, headers=headers,
                    media_type=upstream.headers.get("content-type", "application/json"))


def _words(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".")
