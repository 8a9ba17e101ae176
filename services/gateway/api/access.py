"""Who may call each operation of the public API, declared once per route as data.

``@operation(router, path, roles=…, scope=…, action=…)`` registers a route with its roles and a scope
sentence as the OpenAPI extension fields ``x-gb-roles`` / ``x-gb-scope`` (the same ones the command
rows carry, so docs/endpoints.md is generated from ``app.openapi()``), and checks the caller's role in
one place: after the request is validated, before the route runs. Which records a caller reaches
within their role (their branch, their township, their own record) is the route's scope check, made
where the record is known.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast

from fastapi import APIRouter

from services.gateway.auth import require
from services.gateway.commands import access_extension
from services.pure.identity import Role

Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Any]])

#: Every role: the route's scope check decides what each one sees.
ANYONE: tuple[Role, ...] = tuple(Role)
#: County and township staff.
STAFF = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
#: Staff and branch secretaries: the people who keep the records.
KEEPERS = (*STAFF, Role.BRANCH_SECRETARY)
PUBLIC_SCOPE = "public"


def operation(router: APIRouter, path: str, *, roles: Sequence[Role], scope: str, action: str,
              method: str = "GET", **options: Any) -> Callable[[Endpoint], Endpoint]:
    """Register ``method path`` on ``router`` for ``roles`` (403 "only … may {action}" for any other).

    The endpoint takes the caller as its ``actor`` parameter; ``options`` go to ``add_api_route``.
    """
    if not roles:
        raise ValueError(f"{path}: an operation names the roles that may call it (public ones use public())")

    def register(endpoint: Endpoint) -> Endpoint:
        if "actor" not in inspect.signature(endpoint).parameters:
            raise TypeError(f"{endpoint.__name__} must take the caller as `actor` to have its role checked")

        @functools.wraps(endpoint)
        async def checked(*args: Any, **kwargs: Any) -> Any:
            require(kwargs["actor"], action, *roles)
            return await endpoint(*args, **kwargs)

        router.add_api_route(path, checked, methods=[method], openapi_extra=access_extension(roles, scope),
                             **options)
        return cast(Endpoint, checked)

    return register


def public(router: APIRouter, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
    """Register ``GET path`` for anyone, without a token (health probes)."""

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(path, endpoint, methods=["GET"], openapi_extra=access_extension((), PUBLIC_SCOPE),
                             **options)
        return endpoint

    return register
