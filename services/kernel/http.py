"""HTTP edges shared by every service: problem+json errors, body limits, command metadata.

Whatever goes wrong, a client gets RFC 9457 problem+json, never a text/plain 500: its own mistakes
are 4xx that say what to fix; an outage of PostgreSQL or Kafka is a 503 with ``Retry-After`` (the
command can be retried with the same Idempotency-Key); anything else is a 500 that names the
correlation id to quote and leaks nothing of the internals (the traceback goes to the log).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import quote, unquote

import aiokafka.errors
import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kernel import clock, logs, tracing
from services.kernel.credential import CredentialCheck
from services.kernel.events import encode
from services.kernel.problem_docs import PROBLEM_JSON, document_problems
from services.kernel.retries import fingerprint_key, request_fingerprint, retry_key
from services.kernel.store import CommandMeta
from services.pure.errors import Problem
from services.pure.identity import Actor

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
#: Seconds a client is asked to wait before retrying after an outage (503).
RETRY_AFTER_SECONDS = 2
PROBLEMS = "https://golden-bridge.example/problems"

#: Errors that mean a dependency (PostgreSQL, Kafka, another process) cannot be reached right now.
OUTAGES: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,  # connection lost or refused by the server
    asyncpg.InterfaceError,  # connection closed / released under the caller
    asyncpg.exceptions.InternalClientError,  # a pooled connection left mid-operation when its server vanished
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, crash shutdown, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, disk full
    aiokafka.errors.KafkaConnectionError,
    aiokafka.errors.KafkaTimeoutError,
    ConnectionError,
    TimeoutError,
    OSError,
)


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        return encode(content)


def problem_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return ProblemResponse(body, status_code=status, headers=headers)


CORRELATION_HEADER = "x-correlation-id"


def correlation_id(request: Request) -> str:
    """The request's correlation id: the caller's (forwarded by the gateway) when well formed, as CorrelationIds
    settled it for this request; one made up here only for an app without that middleware."""
    given = request.headers.get(CORRELATION_HEADER)
    return given if logs.well_formed(given) else logs.current() or str(uuid.uuid4())


class CorrelationIds:
    """Every request gets a correlation id, and every answer returns it in ``X-Correlation-Id``.

    The client's own id is kept when it is a UUID (logs.well_formed); anything else — missing, too long, a
    phone number — is replaced by a new one, so that what a client sends never reaches a log or an event
    unchecked. The id is put back into the request's headers (so the handler, the command's metadata and the
    gateway's forwarding all see the same one) and into the logs' context for the request's lifetime.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope.get("headers") or [] if k.lower() != CORRELATION_HEADER.encode()]
        given = next((v.decode("latin-1") for k, v in scope.get("headers") or []
                      if k.lower() == CORRELATION_HEADER.encode()), None)
        correlation = given if logs.well_formed(given) else logs.new_correlation_id()
        scope["headers"] = [*headers, (CORRELATION_HEADER.encode(), correlation.encode())]
        header = (b"x-correlation-id", correlation.encode())

        async def answering(message: Message) -> None:
            if message["type"] == "http.response.start":
                rest = [(k, v) for k, v in message.get("headers") or [] if k.lower() != header[0]]
                message = {**message, "headers": [*rest, header]}
            await send(message)

        with logs.correlated(correlation):
            await self.app(scope, receive, answering)


def _validation_detail(errors: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    items = []
    for e in errors:
        if e.get("type") == "json_invalid":
            items.append(_json_error(e))
            continue
        loc = [str(p) for p in e.get("loc", ()) if p != "body"]
        item = {"field": ".".join(loc) or "(body)", "message": e.get("msg", ""), "type": e.get("type", "")}
        # The rule's numbers (min_length 5, le 120, …) let a client say it in its own words (the console in
        # Chinese); only plain values, never the offending input or an exception.
        limits = {k: v for k, v in (e.get("ctx") or {}).items() if isinstance(v, int | float | str) and k != "error"}
        if limits:
            item["limits"] = limits
        items.append(item)
    summary = "; ".join(f"{i['field']}: {i['message']}" for i in items[:5])
    return f"fix these fields and send again — {summary}", items


def _json_error(error: dict[str, Any]) -> dict[str, Any]:
    """Malformed JSON, reported with where it breaks: FastAPI gives the character offset as the
    location, pydantic puts line and column in its message."""
    where = next((p for p in error.get("loc", ()) if isinstance(p, int)), None)
    why = (error.get("ctx") or {}).get("error") or error.get("msg", "")
    message = f"not valid JSON: {why}" + (f" (at character {where})" if where is not None else "")
    item: dict[str, Any] = {"field": "(body)", "message": message, "type": "json_invalid"}
    if where is not None:
        item["position"] = where
    return item


def retry_after(status: int, extra: dict[str, Any] | None = None) -> dict[str, str] | None:
    """``Retry-After`` for answers that are worth retrying later (503, 429)."""
    if status not in (429, 503):
        return None
    return {"Retry-After": str((extra or {}).get("retry_after_seconds") or RETRY_AFTER_SECONDS)}


def unavailable_body(request: Request, what: str) -> dict[str, Any]:
    return {
        "type": f"{PROBLEMS}/unavailable",
        "title": "A dependency is unavailable",
        "status": 503,
        "detail": f"{what} cannot be reached right now; retry in a moment (a command with the same "
                  "Idempotency-Key is never applied twice)",
        "instance": str(request.url.path),
        "correlation_id": correlation_id(request),
    }


def _outage_of(exc: BaseException) -> str:
    if isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError | asyncpg.exceptions.InternalClientError):
        return "the database"
    if isinstance(exc, aiokafka.errors.KafkaError):
        return "the event broker"
    return "a service this request needs"


class QueryStringsOffTheAccessLog(logging.Filter):
    """uvicorn's access log writes each request line, query string included; a query may carry what no log
    may hold (a phone number typed into a filter, a fuzzer's number shaped like one). The line keeps the path
    and says that a query was there.

    The path itself may carry one too: a clerk pastes an ID number into a member-id field
    (``GET /v1/members/440305197508270098``). So the path keeps no run of 11 or more digits (``logged_path``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path, query, _ = args[2].partition("?")
            record.args = (*args[:2], logged_path(path) + ("?…" if query else ""), *args[3:])
        return True


#: What ``quote`` leaves as it is in a path besides letters and digits (RFC 3986 pchar and "/").
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def logged_path(path: str) -> str:
    """``path`` as a log may hold it: long digit runs starred out (``tracing.masked``), also when they were sent
    percent-encoded or as full-width digits (uvicorn writes the path percent-encoded). Unchanged when there is
    nothing to mask."""
    plain = unquote(path)
    if tracing.masked(plain) == plain:
        return path
    return quote(tracing.masked(plain), safe=_PATH_SAFE)


def _logged(request: Request) -> str:
    return logged_path(request.url.path)


def keep_query_strings_off_the_access_log() -> None:
    # httpx logs every request it sends, full URL and query, at INFO: the gateway's calls to the services would
    # put their queries in its log. Its warnings and errors still reach the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QueryStringsOffTheAccessLog) for f in access.filters):
        access.addFilter(QueryStringsOffTheAccessLog())


def install_problem_handlers(app: FastAPI) -> None:
    """Every error leaves as RFC 9457 problem+json with a detail that says what to fix.

    Also installs ``PublicProblems`` (the ``instance`` of a problem is the path the client called,
    every 503 carries ``Retry-After``) and documents the problem responses in the OpenAPI schema, and keeps
    query strings and long numbers off the access log. A problem's ``instance`` and ``detail`` may echo the path
    as the client sent it: they go to that client only, and no line here logs a body or an unmasked path.
    """
    keep_query_strings_off_the_access_log()

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.body(str(request.url.path)), retry_after(exc.status, exc.extra))

    async def _outage(request: Request, exc: Exception) -> JSONResponse:
        what = _outage_of(exc)
        log.warning("%s %s: %s unavailable (%s: %s) [correlation %s]", request.method, _logged(request), what,
                    type(exc).__name__, exc, correlation_id(request))
        return problem_response(503, unavailable_body(request, what), retry_after(503))

    for outage in OUTAGES:
        app.add_exception_handler(outage, _outage)

    @app.exception_handler(asyncpg.DataError)
    async def _out_of_range(request: Request, exc: asyncpg.DataError) -> JSONResponse:
        # PostgreSQL refused a value the edge let through (a date past its range, a NUL byte):
        # the request's fault, so a 422 — but say it without the SQL.
        log.warning("%s %s: value refused by PostgreSQL (%s) [correlation %s]", request.method, _logged(request),
                    exc.sqlstate, correlation_id(request))
        body = {
            "type": f"{PROBLEMS}/invalid-request",
            "title": "The request is not valid",
            "status": 422,
            "detail": "a value in the request is out of the range this system stores (a date, a number or "
                      "a character); check the parameters and send again",
            "instance": str(request.url.path),
        }
        return problem_response(422, body)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The last resort: never a text/plain 500, never a traceback or SQL to the client.
        correlation = correlation_id(request)
        with logs.correlated(correlation):
            log.error("%s %s failed unexpectedly [correlation %s]", request.method, _logged(request), correlation,
                      exc_info=exc)
        body = {
            "type": f"{PROBLEMS}/internal-error",
            "title": "Internal error",
            "status": 500,
            "detail": f"the request failed on our side; quote correlation id {correlation} when you report it",
            "instance": str(request.url.path),
            "correlation_id": correlation,
        }
        # This answer leaves through Starlette's outermost error middleware, outside CorrelationIds.
        return problem_response(500, body, {"X-Correlation-Id": correlation})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail, items = _validation_detail(list(exc.errors()))
        body = {
            "type": "https://golden-bridge.example/problems/invalid-request",
            "title": "The request is not valid",
            "status": 422,
            "detail": detail,
            "instance": str(request.url.path),
            "errors": items,
        }
        return problem_response(422, body)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, BodyTooLarge):
            return problem_response(413, exc.body(str(request.url.path)))
        body = {
            "type": "about:blank",
            "title": str(exc.detail) if exc.status_code != 404 else "Not found",
            "status": exc.status_code,
            "detail": str(exc.detail),
            "instance": str(request.url.path),
        }
        headers = {**(getattr(exc, "headers", None) or {}), **(retry_after(exc.status_code) or {})}
        return problem_response(exc.status_code, body, headers=headers or None)

    app.add_middleware(PublicProblems)
    document_problems(app)


class PublicProblems:
    """Problem answers name the path the client called, and every 503 says when to retry.

    A service's problem is passed through the gateway as it is, with the service's internal path as
    its ``instance``; here the gateway puts its own public path in its place. On a service the path
    is already its own, so nothing changes there. Only problem+json bodies are touched (they are
    small), and a 503 without ``Retry-After`` gets one.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def rewriting(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                if headers.get(b"content-type", b"").startswith(PROBLEM_JSON.encode()):
                    start = message  # hold it until the body is complete
                    return
                await send(message)
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                await _send_public(start, b"".join(chunks), scope.get("path", ""), send)
            else:
                await send(message)

        await self.app(scope, receive, rewriting)


async def _send_public(start: Message, body: bytes, path: str, send: Send) -> None:
    try:
        problem = orjson.loads(body)
    except orjson.JSONDecodeError:
        problem = None
    if isinstance(problem, dict):
        problem["instance"] = path
        body = encode(problem)
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    if start["status"] == 503 and not any(k.lower() == b"retry-after" for k, _ in headers):
        headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Refuse bodies over the limit before they are read into memory (413 problem+json)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # A chunked body declares no length: it is counted as it arrives. This is an
                    # HTTPException so that FastAPI, reading the body, passes it on as it is (it
                    # turns any other error while reading into a 400).
                    raise BodyTooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = BodyTooLarge(self.max_bytes).body(scope.get("path", ""))
        await problem_response(413, body)(scope, receive, send)


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"send at most {max_bytes} bytes")

    def body(self, instance: str) -> dict[str, Any]:
        return {"type": f"{PROBLEMS}/body-too-large", "title": "Request body too large", "status": 413,
                "detail": self.detail, "instance": instance}


def command_meta(request: Request, actor: Actor, body: bytes) -> CommandMeta:
    """Metadata of a command from the forwarded request: identity, tracing and retry key.

    A retry whose first attempt an earlier version stored under the unkeyed fingerprint (a rolling upgrade) does
    not match and is refused as a different request (422), never applied twice; the store forgets those
    fingerprints (store_schema.sql). Accepting both kinds would mean keeping the unkeyed hashes, which is the leak;
    retries come seconds after their first attempt, so the window is the upgrade's. A new GB_INTERNAL_SECRET does
    the same to the retries in flight when it changes."""
    key = retry_key(request.headers.get("idempotency-key"))
    check: CredentialCheck = request.app.state.credentials
    fingerprint = request_fingerprint(fingerprint_key(check.secret), request.method, request.url.path, body)
    correlation = correlation_id(request)
    return CommandMeta(
        actor=actor.label,
        occurred_at=clock.now(),  # the one clock: a command's day is the county's day
        correlation_id=correlation,
        causation_id=request.headers.get("x-causation-id"),
        # Keys are scoped to the caller so two clients can never collide on one key.
        idempotency_key=f"{actor.subject}:{key}" if key else None,
        fingerprint=fingerprint,
        traceparent=tracing.traceparent(),  # stored with the events: their consumers continue this trace
    )
