"""Membership's internal command API: turns forwarded requests into commands (ids and time here)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from services.kernel.bodies import body_model, to_command
from services.kernel.errors import Forbidden, Unauthorized
from services.kernel.http import command_meta
from services.kernel.identity import Actor, Role
from services.kernel.store import AppendResult, CommandMeta, verify_stream
from services.membership import handlers
from services.membership.commands import EstablishBranch, RegisterMember, RegisterOutflow
from services.membership.events import Contact
from services.membership.routes import ROUTES, Route
from services.membership.schemas import (
    Accepted,
    ContactBody,
    EstablishBranchBody,
    RegisterMemberBody,
    RegisterOutflowBody,
)

router = APIRouter()


def _actor(request: Request) -> Actor:
    # The gateway authenticates callers and forwards who they are; this API is internal only.
    actor = Actor.from_headers(request.headers)
    if actor is None:
        raise Unauthorized("missing X-GB-Actor / X-GB-Role: call membership through the gateway")
    return actor


async def _meta(request: Request, actor: Annotated[Actor, Depends(_actor)]) -> CommandMeta:
    return command_meta(request, actor, await request.body())


ActorDep = Annotated[Actor, Depends(_actor)]
MetaDep = Annotated[CommandMeta, Depends(_meta)]


def _store(request: Request) -> handlers.Store:
    store: handlers.Store = request.app.state.store
    return store


StoreDep = Annotated[handlers.Store, Depends(_store)]


def _accepted(record_id: str, result: AppendResult) -> Accepted:
    return Accepted(
        id=record_id, stream_id=result.stream_id, stream_version=result.stream_version,
        position=result.last_position, replayed=result.replayed,
    )


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


def command_endpoint(
    path: str,
    body: type[B],
    build: Callable[[B, CommandContext], C],
    handle: Callable[[handlers.Store, C, CommandMeta], Awaitable[AppendResult]],
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
        return _accepted(await _record_id(store, command, result, new_id), result)

    router.add_api_route(path, endpoint, methods=["POST"], status_code=201, response_model=Accepted,
                         openapi_extra={"requestBody": {"content": {"application/json": {"schema": {
                             "$ref": f"#/components/schemas/{body.__name__}"}}}}})


async def _record_id(store: handlers.Store, command: Any, result: AppendResult, new_id: str | None) -> str:
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


def _contact(body: ContactBody) -> Contact:
    return Contact(phone=body.phone, address=body.address, wechat=body.wechat)


command_endpoint(
    "/branches", EstablishBranchBody,
    lambda b, c: EstablishBranch(
        actor=c.actor, today=c.today, branch_id=c.new_id(), name=b.name, founding_basis=b.founding_basis,
        build_mode=b.build_mode, home_org_id=b.home_org_id, host_guidance_org=b.host_guidance_org,
        destination=b.destination, industry=b.industry, established_on=b.established_on,
        covered_units=tuple(b.covered_units),
    ),
    handlers.establish_branch,
)
command_endpoint(
    "/members", RegisterMemberBody,
    lambda b, c: RegisterMember(
        actor=c.actor, today=c.today, member_id=c.new_id(), name=b.name, national_id=b.national_id,
        formal_org_id=b.formal_org_id, status=b.status, dues_category=b.dues_category, contact=_contact(b.contact),
        joined_on=b.joined_on,
    ),
    handlers.register_member,
)
command_endpoint(
    "/members/{member_id}/outflows", RegisterOutflowBody,
    lambda b, c: RegisterOutflow(
        actor=c.actor, today=c.today, member_id=c.params["member_id"], destination=b.destination,
        employer=b.employer, contact=_contact(b.contact), left_on=b.left_on, expected_months=b.expected_months,
        fixed_place=b.fixed_place,
    ),
    handlers.register_outflow,
)


def _builder(route: Route) -> Callable[[BaseModel, CommandContext], Any]:
    def build(body: BaseModel, ctx: CommandContext) -> Any:
        filled = {name: ctx.params[name] for name in route.from_path}
        if route.new_id:
            filled[route.new_id] = ctx.new_id()
        return to_command(route.command, body, actor=ctx.actor, today=ctx.today, **filled)

    return build


for _route in ROUTES:
    command_endpoint(_route.path, body_model(_route.command, _route.body_excludes), _builder(_route),
                     getattr(handlers, _route.handler),
                     new_id=_route.new_id)


@router.get("/audit/streams/{stream_id}")
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
