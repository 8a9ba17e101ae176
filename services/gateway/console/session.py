"""Who is signed in to the console, and the console's only way to data: the gateway's own API, called in-process
with the signed-in person's bearer token, so every role and scope rule stays where the API states it.

Signing in opens a session: the console issues a token of its own for it (12 hours, never longer than the token
signed in with, recorded as an issuance naming that token), and signing out revokes it — so a copied cookie
is useless after sign-out, and revoking the token someone signed in with ends their console sessions too
(services/gateway/auth.py, ``revoked``). The session's token lives in an HttpOnly, SameSite=Strict cookie scoped
to /console: page scripts cannot read it and another site cannot make the browser send it. Forms carry a CSRF
token as well (an HMAC of the session's token under the gateway's token secret), checked on every POST, so a form
posted from anywhere else is refused even by a browser that ignores SameSite.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request

from services.gateway.auth import Bearer, new_token, read_token, revoked
from services.gateway.console.i18n import LANGS, Lang
from services.gateway.throttle import FailedAuthentications, client_address
from services.gateway.token_registry import TokenIssued, TokenRegistry, access_meta
from services.kernel.settings import Settings
from services.pure.errors import NotFound, StateConflict, Unauthorized
from services.pure.identity import Actor

TOKEN_COOKIE = "gb_console_token"
LANG_COOKIE = "gb_console_lang"
PREFIX = "/console"


#: How long a console session lasts: its token and its cookie.
SESSION_HOURS = 12
SIGNED_OUT = "signed out of the console"


@dataclass(frozen=True, kw_only=True)
class Viewer:
    """The signed-in person: who the token names (for the menus only), the token the API calls carry, and what
    the token is (a console session's names the token it was opened with)."""

    actor: Actor
    token: str
    bearer: Bearer

    @property
    def in_session(self) -> bool:
        return self.bearer.parent_id is not None


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
    if revoked(tokens, bearer):
        return None
    return Viewer(actor=bearer.actor, token=token, bearer=bearer)


async def open_session(request: Request, who: Viewer) -> str:
    """The token of a new console session for ``who`` (signed in with a token of their own), recorded."""
    settings: Settings = request.app.state.settings
    tokens: TokenRegistry = request.app.state.tokens
    session = new_token(settings, who.actor, hours=SESSION_HOURS, parent=who.bearer)
    await tokens.issued(TokenIssued(token_id=session.token_id, subject=who.actor.subject, role=who.actor.role.value,
                                    org_id=who.actor.org_id, expires_at=session.expires_at,
                                    parent_id=session.parent_id),
                        access_meta(who.actor, request.headers))
    return session.token


async def close_session(request: Request, who: Viewer) -> None:
    """Revoke the session's token: refused at once here, within seconds on every gateway process."""
    tokens: TokenRegistry = request.app.state.tokens
    if who.in_session and who.bearer.token_id is not None:
        with contextlib.suppress(NotFound, StateConflict):  # revoked by the county meanwhile, or a second sign-out
            await tokens.revoke(who.bearer.token_id, SIGNED_OUT,
                                access_meta(who.actor, request.headers))


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
