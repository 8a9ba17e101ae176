"""A service's internal command API: forwarded requests → commands → handlers → 201 with the position.

Every event-sourced service builds its API from this one piece: the gateway authenticates callers and
forwards who they are (``X-GB-*`` headers); here the body becomes a command with the actor, today's
date, the path parameters and — for a new record — a fresh id, and the service's handler runs it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from types import ModuleType
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from services.kernel.bodies import body_model, to_command
from services.kernel.errors import Forbidden, Unauthorized
from services.kernel.http import command_meta
from services.kernel.identity import Actor, Role
from services.kernel.routes import Route
from services.kernel.store import AppendResult, CommandMeta, EventStore, verify_stream


class Accepted(BaseModel):
    """What a command returns: the record it touched and the position of its last event.

    Pass ``position`` as ``min_position`` on a later GET to read your own write.
    """

    id: str
    stream_id: str
    stream_version: int
    position: int
    replayed: bool = Field(False, description="True when this is the stored answer to a retried Idempotency-Key.")


def _actor(request: Request) -> Actor:
    # The gateway authenticates callers and forwards who they are; these APIs are internal only.
    actor = Actor.from_headers(request.headers)
    if actor is None:
        raise Unauthorized("missing X-GB-Actor / X-GB-Role: call the service through the gateway")
    return actor


async def _meta(request: Request, actor: Annotated[Actor, Depends(_actor)]) -> CommandMeta:
    return command_meta(request, actor, await request.body())


def _store(request: Request) -> EventStore[Any]:
    store: EventStore[Any] = request.app.state.store
    return store


ActorDep = Annotated[Actor, Depends(_actor)]
MetaDep = Annotated[CommandMeta, Depends(_meta)]
StoreDep = Annotated[EventStore[Any], Depends(_store)]


@dataclass(frozen=True, kw_only=True)
class CommandContext:
    """What the API adds to a body to make a command: who, when, new ids and the path parameters."""

    actor: Actor
    today: date
    params: dict[str, str]

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())


B = TypeVar("B", bound=BaseModel)
C = TypeVar("C")
Handler = Callable[[EventStore[Any], Any, CommandMeta], Awaitable[AppendResult]]


class CommandApi:
    """One service's command routes on ``router``; handlers are looked up by name in ``handlers``."""

    def __init__(self, handlers: ModuleType) -> None:
        self.router = APIRouter()
        self.handlers = handlers

    @classmethod
    def serving(cls, handlers: ModuleType, routes: Iterable[Route]) -> CommandApi:
        """The API of a service whose commands all come from its route table, with the audit read."""
        api = cls(handlers)
        api.routes(routes)
        api.audit()
        return api

    def endpoint(
        self,
        path: str,
        body: type[B],
        build: Callable[[B, CommandContext], C],
        handle: Callable[[Any, C, CommandMeta], Awaitable[AppendResult]],
        new_id: str | None = None,
    ) -> None:
        """Register ``POST path``: body → command (``build``) → handler → 201 with the record's position."""

        async def endpoint(request: Request, actor: ActorDep, meta: MetaDep, store: StoreDep) -> Accepted:
            try:
                payload = body.model_validate_json(await request.body())
            except ValidationError as exc:
                raise RequestValidationError(exc.errors()) from None
            ctx = CommandContext(actor=actor, today=meta.occurred_at.date(),
                                 params={k: str(v) for k, v in request.path_params.items()})
            command = build(payload, ctx)
            result = await handle(store, command, meta)
            return accepted(await _record_id(store, command, result, new_id), result)

        self.router.add_api_route(
            path, endpoint, methods=["POST"], status_code=201, response_model=Accepted,
            openapi_extra={"requestBody": {"content": {"application/json": {"schema": {
                "$ref": f"#/components/schemas/{body.__name__}"}}}}})

    def routes(self, routes: Iterable[Route]) -> None:
        """Register each route of a route table, its body generated from the command dataclass."""
        for route in routes:
            self.endpoint(route.path, body_model(route.command, route.body_excludes), _builder(route),
                          getattr(self.handlers, route.handler), new_id=route.new_id)

    def audit(self) -> None:
        """``GET /audit/streams/{stream_id}``: a record's history with its hash chain verified."""
        self.router.add_api_route("/audit/streams/{stream_id}", audit_stream, methods=["GET"])


def accepted(record_id: str, result: AppendResult) -> Accepted:
    return Accepted(
        id=record_id, stream_id=result.stream_id, stream_version=result.stream_version,
        position=result.last_position, replayed=result.replayed,
    )


def _builder(route: Route) -> Callable[[BaseModel, CommandContext], Any]:
    def build(body: BaseModel, ctx: CommandContext) -> Any:
        filled = {name: ctx.params[name] for name in route.from_path}
        if route.new_id:
            filled[route.new_id] = ctx.new_id()
        return to_command(route.command, body, actor=ctx.actor, today=ctx.today, **filled)

    return build


async def _record_id(store: EventStore[Any], command: Any, result: AppendResult, new_id: str | None) -> str:
    """The id of the record a command created (a transfer, a meeting), else its stream's id.

    A replayed command answers with the id its first run created — read back from its first event,
    never the id this retry made up.
    """
    if not new_id:
        return result.stream_id
    if not result.replayed:
        return str(getattr(command, new_id))
    [first] = await store.read_all(after_position=result.first_position - 1, limit=1)
    return str(getattr(first.event, new_id, result.stream_id))


async def audit_stream(stream_id: str, actor: ActorDep, store: StoreDep, up_to_version: int | None = None,
                       as_of: datetime | None = None) -> dict[str, Any]:
    """A record's history as CloudEvents (whole, up to a version, or as recorded at a time), with its
    hash chain verified."""
    if actor.role is not Role.COUNTY_ADMIN:
        raise Forbidden("only the county organisation department audits history")
    stream = await store.load(stream_id, up_to_version=up_to_version, as_of=as_of)
    problems = await verify_stream(store, stream_id)
    return {
        "stream_id": stream_id, "version": stream.version,
        "verified": not problems, "problems": problems,
        "events": [r.envelope.cloudevent() for r in stream.events],
    }
