"""Membership's internal command API: turns forwarded requests into commands (ids and time here)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.kernel.errors import Unauthorized
from services.kernel.http import command_meta
from services.kernel.identity import Actor
from services.kernel.store import AppendResult, CommandMeta
from services.membership import handlers
from services.membership.commands import EstablishBranch, RegisterMember, RegisterOutflow
from services.membership.events import Contact
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


def _contact(body: ContactBody) -> Contact:
    return Contact(phone=body.phone, address=body.address, wechat=body.wechat)


def _today() -> datetime:
    return datetime.now(UTC)


@router.post("/branches", status_code=201)
async def establish_branch(body: EstablishBranchBody, actor: ActorDep, meta: MetaDep, store: StoreDep) -> Accepted:
    branch_id = str(uuid.uuid4())
    cmd = EstablishBranch(
        actor=actor, today=meta.occurred_at.date(), branch_id=branch_id, name=body.name,
        founding_basis=body.founding_basis, build_mode=body.build_mode, home_org_id=body.home_org_id,
        host_guidance_org=body.host_guidance_org, destination=body.destination, industry=body.industry,
        established_on=body.established_on, covered_units=tuple(body.covered_units),
    )
    result = await handlers.establish_branch(store, cmd, meta)
    return _accepted(result.stream_id, result)


@router.post("/members", status_code=201)
async def register_member(body: RegisterMemberBody, actor: ActorDep, meta: MetaDep, store: StoreDep) -> Accepted:
    cmd = RegisterMember(
        actor=actor, today=meta.occurred_at.date(), member_id=str(uuid.uuid4()), name=body.name,
        national_id=body.national_id, formal_org_id=body.formal_org_id, status=body.status,
        dues_category=body.dues_category, contact=_contact(body.contact), joined_on=body.joined_on,
    )
    result = await handlers.register_member(store, cmd, meta)
    return _accepted(result.stream_id, result)


@router.post("/members/{member_id}/outflows", status_code=201)
async def register_outflow(
    member_id: str, body: RegisterOutflowBody, actor: ActorDep, meta: MetaDep, store: StoreDep
) -> Accepted:
    cmd = RegisterOutflow(
        actor=actor, today=meta.occurred_at.date(), member_id=member_id, destination=body.destination,
        employer=body.employer, contact=_contact(body.contact), left_on=body.left_on,
        expected_months=body.expected_months, fixed_place=body.fixed_place,
    )
    result = await handlers.register_outflow(store, cmd, meta)
    return _accepted(member_id, result)
