"""HTTP edges shared by every service: problem+json errors, body limits, command metadata."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from services.kernel.events import encode
from services.kernel.store import CommandMeta
from services.pure.errors import Problem
from services.pure.identity import Actor

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 1_000_000


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        return encode(content)


def problem_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return ProblemResponse(body, status_code=status, headers=headers)


def _validation_detail(errors: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    items = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if p != "body"]
        items.append({"field": ".".join(loc) or "(body)", "message": e.get("msg", ""), "type": e.get("type", "")})
    summary = "; ".join(f"{i['field']}: {i['message']}" for i in items[:5])
    return f"fix these fields and send again — {summary}", items


def install_problem_handlers(app: FastAPI) -> None:
    """Every error leaves as RFC 9457 problem+json with a detail that says what to fix."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.body(str(request.url.path)))

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
        body = {
            "type": "about:blank",
            "title": str(exc.detail) if exc.status_code != 404 else "Not found",
            "status": exc.status_code,
            "detail": str(exc.detail),
            "instance": str(request.url.path),
        }
        return problem_response(exc.status_code, body, headers=getattr(exc, "headers", None))


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
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = {
            "type": "https://golden-bridge.example/problems/body-too-large",
            "title": "Request body too large",
            "status": 413,
            "detail": f"send at most {self.max_bytes} bytes",
            "instance": scope.get("path", ""),
        }
        await problem_response(413, body)(scope, receive, send)


class _TooLarge(Exception):
    pass


def command_meta(request: Request, actor: Actor, body: bytes) -> CommandMeta:
    """Metadata of a command from the forwarded request: identity, tracing and retry key."""
    key = request.headers.get("idempotency-key")
    fingerprint = hashlib.sha256(request.method.encode() + request.url.path.encode() + b"\n" + body).hexdigest()
    correlation = request.headers.get("x-correlation-id") or str(uuid.uuid4())
    return CommandMeta(
        actor=actor.label,
        occurred_at=datetime.now(UTC),
        correlation_id=correlation,
        causation_id=request.headers.get("x-causation-id"),
        # Keys are scoped to the caller so two clients can never collide on one key.
        idempotency_key=f"{actor.subject}:{key}" if key else None,
        fingerprint=fingerprint,
    )
