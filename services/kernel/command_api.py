"""A service's internal command API: forwarded requests → commands → handlers → 201 with the position.

Every event-sourced service builds its API from this one piece: the gateway authenticates callers and
forwards who they are in a credential it signs for this one request (services/kernel/credential.py);
every route here, the audit read included, refuses a request without one (401). The body becomes a
command with the actor, today's date, the path parameters and — for a new record — a fresh id, and
the service's handler runs it — once the service's ``authorize`` hook (``ServiceDefinition.authorize``,
put on ``app.state.authorize``) has said the caller reaches the record the command touches. The hook
runs for every command, after the command is built and before its handler: one place per service
decides scope, and a refused command (403) has read nothing and written nothing.

Each command is counted and timed by its type and outcome (``gb_commands_total``,
``gb_command_duration_seconds``, ``gb_appends_total``: services/kernel/metrics.py).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from services.kernel import handling, metrics, policy_stream
from services.kernel.audit import verify_stream
from services.kernel.bodies import body_model, to_command
from services.kernel.clock import county_day
from services.kernel.credential import CredentialCheck, CredentialLedger, target
from services.kernel.http import command_meta
from services.kernel.routes import CommandRoute
from services.kernel.service import Authorize
from services.kernel.store import AppendResult, CommandMeta, EventStore
from services.pure.errors import Forbidden, NotFound, Problem
from services.pure.identity import Actor, Role


class Accepted(BaseModel):
    """What a command returns: the record it touched and the position of its last event.

    Pass ``position`` as ``min_position`` on a later GET to read your own write.
    """

    id: str
    stream_id: str
    stream_version: int
    position: int
    replayed: bool = Field(False, description="True when this is the stored answer to a retried Idempotency-Key.")


async def _actor(request: Request) -> Actor:
    # Only the gateway's credential, checked against this very request, says who is calling; where the service
    # keeps a ledger (services/kernel/service_app.py), the credential is spent there before anything is served,
    # so a replay is refused by every instance, not only by the one that served it.
    check: CredentialCheck = request.app.state.credentials
    admitted = check.admit(request.headers.get("authorization"), method=request.method,
                           request_target=target(request.scope.get("raw_path") or request.url.path.encode(),
                                                 request.scope.get("query_string", b"")),
                           body=await request.body())
    ledger: CredentialLedger | None = getattr(request.app.state, "credential_ledger", None)
    if ledger is not None:
        await ledger.spend(admitted)
    return admitted.actor


async def _store(request: Request) -> EventStore[Any]:
    store: EventStore[Any] = request.app.state.store
    return store


ActorDep = Annotated[Actor, Depends(_actor)]
StoreDep = Annotated[EventStore[Any], Depends(_store)]


C = TypeVar("C")


class CommandApi:
    """One service's command routes on ``router``: each row's body becomes its command, its handler runs it."""

    def __init__(self, service: str = "", router: APIRouter | None = None) -> None:
        self.router = router or APIRouter()
        #: The service's name, as its metrics label it.
        self.service = service

    @classmethod
    def serving(cls, routes: Iterable[CommandRoute[Any]], *, service: str = "",
                router: APIRouter | None = None) -> CommandApi:
        """The API of a service whose commands all come from its route rows, with the audit read — on ``router``
        (the app's own, in a service: FastAPI matches an included router's routes twice per request, issue 14)."""
        api = cls(service, router)
        for route in routes:
            api.route(route)
        api.audit()
        api.positions()
        return api

    def route(self, route: CommandRoute[C]) -> None:
        """Register ``POST route.path``: body → command → ``route.handler`` → 201 with the record's position."""
        body = route.body or body_model(route.command, route.body_excludes)

        async def endpoint(request: Request) -> Response:
            # The caller, the command's metadata, the store and the scope hook are taken here rather than as FastAPI
            # dependencies: every command of every service runs this, and resolving four dependencies per request
            # cost FastAPI more than the rest of the endpoint (issue 14). None of them is a parameter a client sends.
            actor = await _actor(request)
            meta = command_meta(request, actor, await request.body())
            store: EventStore[Any] = request.app.state.store
            # The service's scope decision (ServiceDefinition.authorize), set on the app beside its store.
            authorize: Authorize | None = getattr(request.app.state, "authorize", None)
            started, outcome = time.perf_counter(), "failed"
            try:
                result, record_id = await self._run(route, body, request, actor, meta, store, authorize)
                outcome = "replayed" if result.replayed else "accepted"
                metrics.appended(self.service, outcome)
                # Serialised by pydantic straight to bytes: FastAPI would validate the model again first.
                return Response(accepted(record_id, result).model_dump_json(), status_code=201,
                                media_type="application/json")
            except (Problem, RequestValidationError) as exc:
                outcome = metrics.outcome_of(getattr(exc, "status", 422))
                raise
            finally:
                metrics.command_done(self.service, route.command.__name__, outcome, time.perf_counter() - started)

        self.router.add_api_route(
            route.path, endpoint, methods=[route.method], status_code=201, response_model=Accepted,
            summary=route.summary, openapi_extra={"requestBody": {"content": {"application/json": {"schema": {
                "$ref": f"#/components/schemas/{body.__name__}"}}}}})

    @staticmethod
    async def _run(route: CommandRoute[C], body: type[BaseModel], request: Request, actor: Actor,
                   meta: CommandMeta, store: EventStore[Any], authorize: Authorize | None) -> tuple[AppendResult, str]:
        try:
            # A command whose body has no required field may come without one (a DELETE).
            payload = body.model_validate_json(await request.body() or b"{}")
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        filled: dict[str, Any] = {name: str(request.path_params[name]) for name in route.from_path}
        if route.new_id:
            filled[route.new_id] = str(uuid.uuid4())
        command = to_command(route.command, payload, actor=actor, today=county_day(meta.occurred_at), **filled)
        with handling.minted(filled[route.new_id] if route.new_id else None):
            if authorize is not None:
                await authorize(store, actor, command)
            with policy_stream.one_read_per_command():
                result = await route.handler(store, command, meta)
        return result, await _record_id(store, command, result, route.new_id)

    def audit(self) -> None:
        """``GET /audit/streams/{stream_id}``: a record's history with its hash chain verified."""
        self.router.add_api_route("/audit/streams/{stream_id}", audit_stream, methods=["GET"])
        self.router.add_api_route("/audit/events", audit_events, methods=["GET"])

    def positions(self) -> None:
        """``GET /positions/{position}``: whether this store issued a position (a reader refuses one it never did)."""
        self.router.add_api_route("/positions/{position}", issued_position, methods=["GET"])


def accepted(record_id: str, result: AppendResult) -> Accepted:
    return Accepted(
        id=record_id, stream_id=result.stream_id, stream_version=result.stream_version,
        position=result.last_position, replayed=result.replayed,
    )


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
    if not stream.events:  # never "verified" with nothing in it: a record with every event deleted would read so
        when = f" as recorded at {as_of.isoformat()}" if as_of is not None else ""
        raise NotFound(f"this service's store holds no event of record {stream_id}{when}; check the record id and "
                       "the service that owns it (`service`)")
    problems = await verify_stream(store, stream_id)
    return {
        "stream_id": stream_id, "version": stream.version,
        "verified": not problems, "problems": problems,
        "events": [r.envelope.cloudevent() for r in stream.events],
    }


async def audit_events(actor: ActorDep, store: StoreDep, after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
                       limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> dict[str, Any]:
    """The store's events after a position, in position order, as CloudEvents exactly as stored (the
    auditors' feed: the verifier matches each one against the transparency log)."""
    if actor.role is not Role.COUNTY_ADMIN:
        raise Forbidden("only the county organisation department audits history")
    envelopes = await store.envelopes(after_position=after, limit=limit)
    _, last = await store.issued(1)
    return {"events": [e.cloudevent() for e in envelopes], "last_position": last,
            "next_after": envelopes[-1].position if envelopes else after}


async def issued_position(position: Annotated[int, Path(ge=1, le=2**63 - 1)], actor: ActorDep,
                          store: StoreDep) -> dict[str, Any]:
    """Whether ``position`` is an event of this store, and the last position issued."""
    issued, last = await store.issued(position)
    return {"position": position, "issued": issued, "last_issued": last}
