"""The command API makes up a new record's id (``CommandRoute.new_id``) and marks it minted for that command's scope
hook and handler only: ``execute`` then decides the stream as empty without reading it (services/kernel/handling.py
``minted``; tests/integration/test_minted_streams.py shows that part against PostgreSQL)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI

from services.kernel import handling
from services.kernel.command_api import CommandApi
from services.kernel.credential import CredentialCheck
from services.kernel.http import install_problem_handlers
from services.kernel.routes import CommandRoute
from services.kernel.store import AppendResult, CommandMeta
from services.pure.identity import Actor, Role
from tests.unit.kernel.test_authorize import OWN, SECRET, Touch, post


class Seen:
    def __init__(self) -> None:
        self.by_hook: list[tuple[str, bool, bool]] = []
        self.by_handler: list[tuple[str, bool, bool]] = []

    async def authorize(self, store: Any, actor: Actor, command: Touch) -> None:
        self.by_hook.append((command.record_id, handling.is_minted(command.record_id), handling.is_minted("r-1")))

    async def handler(self, store: Any, command: Touch, meta: CommandMeta) -> AppendResult:
        self.by_handler.append((command.record_id, handling.is_minted(command.record_id), handling.is_minted("r-1")))
        return AppendResult(stream_id=command.record_id, stream_version=1, first_position=1, last_position=1)


def app_with(seen: Seen) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    routes = [
        CommandRoute(path="/records", command=Touch, handler=seen.handler, summary="Create.",
                     roles=(Role.BRANCH_SECRETARY,), scope="own branch", new_id="record_id"),
        CommandRoute(path="/records/{record_id}/touch", command=Touch, handler=seen.handler, summary="Touch.",
                     roles=(Role.BRANCH_SECRETARY,), scope="own branch", from_path=("record_id",)),
    ]
    app.include_router(CommandApi.serving(routes).router)
    app.state.credentials = CredentialCheck(secret=SECRET, audience="membership")
    app.state.store = object()
    app.state.authorize = seen.authorize
    return app


async def test_each_creating_command_gets_a_fresh_uuid_minted_for_its_hook_and_handler() -> None:
    seen = Seen()
    app = app_with(seen)
    answers = [await post(app, OWN, "/records") for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201], answers[0].text
    ids = [a.json()["id"] for a in answers]
    assert len(set(ids)) == 2 and all(uuid.UUID(i).version == 4 for i in ids)
    assert seen.by_hook == seen.by_handler == [(i, True, False) for i in ids]
    assert not any(handling.is_minted(i) for i in ids), "minted only while its command runs"


async def test_a_command_on_a_named_record_mints_nothing() -> None:
    seen = Seen()
    assert (await post(app_with(seen), OWN, "/records/r-1/touch")).status_code == 201
    assert seen.by_hook == seen.by_handler == [("r-1", False, False)]
