"""The command API asks the service's ``authorize`` hook about every command, before its handler runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.kernel.command_api import CommandApi
from services.kernel.credential import CredentialCheck, sign
from services.kernel.http import install_problem_handlers
from services.kernel.routes import CommandRoute
from services.kernel.store import AppendResult, CommandMeta
from services.pure.errors import Forbidden
from services.pure.identity import Actor, Role

SECRET = "s" * 40
OWN = Actor(subject="own", role=Role.BRANCH_SECRETARY, org_id="branch-1")
OTHER = Actor(subject="other", role=Role.BRANCH_SECRETARY, org_id="branch-2")


@dataclass(frozen=True, kw_only=True)
class Touch:
    actor: Actor
    today: date
    record_id: str
    note: str


class Calls:
    def __init__(self) -> None:
        self.asked: list[tuple[Actor, Any]] = []
        self.handled: list[Touch] = []

    async def authorize(self, store: Any, actor: Actor, command: Any) -> None:
        self.asked.append((actor, command))
        if actor.org_id != "branch-1":
            raise Forbidden(f"{actor.label} does not reach {command.record_id}")

    async def handler(self, store: Any, command: Touch, meta: CommandMeta) -> AppendResult:
        self.handled.append(command)
        return AppendResult(stream_id=command.record_id, stream_version=1, first_position=1, last_position=1)


def app_with(calls: Calls, *, hook: bool) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    route = CommandRoute(path="/records/{record_id}/touch", command=Touch, handler=calls.handler, summary="Touch.",
                         roles=(Role.BRANCH_SECRETARY,), scope="own branch", from_path=("record_id",))
    app.include_router(CommandApi.serving([route]).router)
    app.state.credentials = CredentialCheck(secret=SECRET, audience="membership")
    app.state.store = object()
    if hook:
        app.state.authorize = calls.authorize
    return app


async def post(app: FastAPI, actor: Actor, path: str = "/records/r-1/touch") -> httpx.Response:
    body = b'{"note": "hello"}'
    header = "Bearer " + sign(SECRET, audience="membership", actor=actor, method="POST", request_target=path, body=body)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://membership") as client:
        return await client.post(path, content=body, headers={"Authorization": header,
                                                              "Content-Type": "application/json"})


async def test_a_command_the_hook_refuses_gets_403_and_never_reaches_its_handler() -> None:
    calls = Calls()
    response = await post(app_with(calls, hook=True), OTHER)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert calls.handled == []
    [(actor, command)] = calls.asked
    assert actor == OTHER and command == Touch(actor=OTHER, today=command.today, record_id="r-1", note="hello")


async def test_a_command_the_hook_allows_runs_its_handler_once() -> None:
    calls = Calls()
    response = await post(app_with(calls, hook=True), OWN)
    assert response.status_code == 201, response.text
    assert len(calls.asked) == 1 and [c.record_id for c in calls.handled] == ["r-1"]


@pytest.mark.parametrize("actor", [OWN, OTHER])
async def test_a_service_without_a_hook_leaves_scope_to_its_deciders(actor: Actor) -> None:
    calls = Calls()
    assert (await post(app_with(calls, hook=False), actor)).status_code == 201
    assert calls.asked == []
