"""Who is signed in to the console, and the console's only way to data: the gateway's own API, called in-process
with the signed-in person's bearer token, so every role and scope rule stays where the API states it.

The token lives in an HttpOnly, SameSite=Strict cookie scoped to /console: page scripts cannot read it and
another site cannot make the browser send it. Forms carry a CSRF token as well (an HMAC of the bearer token
under the gateway's token secret), checked on every POST, so a form posted from anywhere else is refused
even by a browser that ignores SameSite.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request

from services.gateway.auth import read_token
from services.gateway.console.i18n import LANGS, Lang
from services.gateway.throttle import FailedAuthentications, client_address
from services.gateway.token_registry import TokenRegistry
from services.kernel.settings import Settings
from services.pure.errors import Unauthorized
from services.pure.identity import Actor

TOKEN_COOKIE = "gb_console_token"
LANG_COOKIE = "gb_console_lang"
PREFIX = "/console"


@dataclass(frozen=True, kw_only=True)
class Viewer:
    """The signed-in person: who the token names (for the menus only) and the token the API calls carry."""

    actor: Actor
    token: str


def language(request: Request) -> Lang:
    chosen = request.cookies.get(LANG_COOKIE)
    for lang in LANGS:
        if chosen == lang:
            return lang
    return "zh"


def viewer(request: Request) -> Viewer | None:
    """The person whose valid, unrevoked token the cookie holds; None sends them to the sign-in page."""
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        return None
    who = check_token(request, token) if len(token) <= 4096 else None
    if who is None:
        # Counted as the API counts a bad bearer token: a guessed cookie is a guessed token (429 when too many).
        failures: FailedAuthentications = request.app.state.auth_failures
        failures.failed(client_address(request))
    return who


def check_token(request: Request, token: str) -> Viewer | None:
    settings: Settings = request.app.state.settings
    tokens: TokenRegistry = request.app.state.tokens
    try:
        bearer = read_token(settings, token)
    except Unauthorized:
        return None
    if bearer.token_id is not None and tokens.is_revoked(bearer.token_id):
        return None
    return Viewer(actor=bearer.actor, token=token)


def csrf_token(request: Request, who: Viewer) -> str:
    settings: Settings = request.app.state.settings
    return hmac.new(settings.token_secret.encode(), b"console-csrf:" + who.token.encode(), hashlib.sha256).hexdigest()


def csrf_ok(request: Request, who: Viewer, sent: str | None) -> bool:
    # As bytes: compare_digest refuses a str with a non-ASCII character by raising, which was a 500.
    return sent is not None and hmac.compare_digest(csrf_token(request, who).encode(), sent.encode())


@dataclass(frozen=True, kw_only=True)
class Answer:
    """One answer of the API: its status and JSON (a problem+json document when it refused)."""

    status: int
    body: Any
    content_type: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


async def call(request: Request, who: Viewer, method: str, path: str, *, params: dict[str, Any] | None = None,
               json: Any = None, idempotency_key: str | None = None) -> Answer:
    """Call the gateway's public API as ``who`` — through the whole app (authentication, throttling, scope), as
    an HTTP client would, without a network hop. The caller's address is passed on, so the API's throttle
    still sees who keeps failing."""
    client = request.client
    # An API failure comes back as its 500 answer (shown as a page), not as an exception through this page.
    transport = httpx.ASGITransport(app=request.app, raise_app_exceptions=False,
                                    client=(client.host, client.port) if client else ("127.0.0.1", 0))
    headers = {"Authorization": f"Bearer {who.token}", "Accept": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    if correlation := request.headers.get("x-correlation-id"):
        headers["X-Correlation-Id"] = correlation
    clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.internal", timeout=30.0) as http:
        response = await http.request(method, path, params=clean, json=json, headers=headers)
    content_type = response.headers.get("content-type", "")
    body: Any = response.json() if "json" in content_type else response.text
    return Answer(status=response.status_code, body=body, content_type=content_type)
