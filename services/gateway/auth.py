"""Bearer-token authentication: the bootstrap administrator token and signed tokens for everyone else.

A signed token (HS256 with ``GB_TOKEN_SECRET``) carries its holder, an expiry (``exp``) and an id
(``jti``); a token whose id the county revoked is refused (services/gateway/token_registry.py), so is a partner
system's while the county keeps its partner deactivated (services/gateway/partner_access.py), and a
client that keeps sending bad tokens is slowed down (services/gateway/throttle.py). The administrator
token (``GB_ADMIN_TOKEN``) bootstraps the first tokens: its development default is accepted only with
``GB_ENV=development`` — elsewhere the settings refuse to start without a secret of at least 32 bytes.
"""

from __future__ import annotations

import hmac
import inspect
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from services.gateway.throttle import FailedAuthentications, client_address
from services.gateway.token_registry import TokenRegistry
from services.kernel.settings import Settings
from services.pure.errors import Forbidden, Problem, Unauthorized
from services.pure.identity import Actor, Role

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`")
ISSUER = "golden-bridge-gateway"
#: The subject of the bootstrap administrator token.
BOOTSTRAP_ADMIN = "dev-admin"


@dataclass(frozen=True, kw_only=True)
class IssuedToken:
    token: str
    token_id: str
    expires_at: datetime
    parent_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Bearer:
    """An authenticated caller, the id of the token it showed (None for the bootstrap token), and for a token
    derived from another (a console session, services/gateway/console/session.py) the id of that other token."""

    actor: Actor
    token_id: str | None
    parent_id: str | None = None
    expires_at: datetime | None = None


def bootstrap_parent(settings: Settings) -> str:
    """What a token derived from the bootstrap administrator token names as its parent: a keyed digest of that
    token, so changing ``GB_ADMIN_TOKEN`` ends what was derived from it too (it has no id to revoke)."""
    digest = hmac.new(settings.token_secret.encode(), b"bootstrap-admin:" + settings.admin_token.encode(), "sha256")
    return "bootstrap-" + digest.hexdigest()[:32]


def new_token(settings: Settings, actor: Actor, *, days: int = 30, hours: int | None = None,
              parent: Bearer | None = None) -> IssuedToken:
    """A signed token for ``actor`` with a fresh id, valid for ``days`` (or ``hours``). A token derived from
    ``parent`` names it, is refused once it is revoked (:func:`revoked`), and never outlives it."""
    now = datetime.now(UTC).replace(microsecond=0)
    token_id = uuid.uuid4().hex
    expires = now + (timedelta(hours=hours) if hours is not None else timedelta(days=days))
    claims: dict[str, object] = {
        "iss": ISSUER, "sub": actor.subject, "role": actor.role.value, "org": actor.org_id,
        "iat": now, "exp": expires, "jti": token_id,
    }
    parent_id = None
    if parent is not None:
        claims["parent"] = parent_id = parent.token_id or bootstrap_parent(settings)
        if parent.expires_at is not None:
            claims["exp"] = expires = min(expires, parent.expires_at)
    return IssuedToken(token=jwt.encode(claims, settings.token_secret, algorithm="HS256"), token_id=token_id,
                       expires_at=expires, parent_id=parent_id)


def issue_token(settings: Settings, actor: Actor, *, days: int = 30) -> str:
    return new_token(settings, actor, days=days).token


_BOOTSTRAP = Bearer(actor=Actor(subject=BOOTSTRAP_ADMIN, role=Role.COUNTY_ADMIN), token_id=None)
#: Tokens whose signature already held, by secret and token, with their expiry: a client shows the same token with
#: every request, and checking its signature again cost a tenth of a millisecond each time (issue 14). Revocation
#: is still asked on every request (``current_actor``); the cache only ever holds valid tokens, and is bounded.
_verified: dict[tuple[str, str, str], tuple[Bearer, float]] = {}
MAX_VERIFIED = 10_000


def read_token(settings: Settings, token: str) -> Bearer:
    """Who a token names, if its signature, issuer and expiry hold; else :class:`Unauthorized`."""
    if hmac.compare_digest(token.encode(), settings.admin_token.encode()):
        return _BOOTSTRAP
    key = (settings.token_secret, settings.admin_token, token)
    known = _verified.get(key)
    if known is not None and time.time() < known[1]:
        return known[0]
    try:
        claims = jwt.decode(token, settings.token_secret, algorithms=["HS256"], issuer=ISSUER,
                            options={"require": ["exp", "sub", "role", "jti"]})
        actor = Actor(subject=claims["sub"], role=Role(claims["role"]), org_id=claims.get("org"))
        parent = claims.get("parent")
        if parent is not None and not isinstance(parent, str):
            raise ValueError("its parent is not a token id")
        bearer = Bearer(actor=actor, token_id=str(claims["jti"]), parent_id=parent,
                        expires_at=datetime.fromtimestamp(claims["exp"], UTC))
    except (jwt.PyJWTError, ValueError, OverflowError, OSError) as exc:
        raise Unauthorized(f"the bearer token is not valid ({exc}); ask an administrator for a new one") from None
    if parent is not None and parent.startswith("bootstrap-") and parent != bootstrap_parent(settings):
        raise Unauthorized("this console session came from an administrator token that has since been changed; "
                           "sign in again")
    if len(_verified) >= MAX_VERIFIED:
        _verified.clear()
    _verified[key] = (bearer, float(claims["exp"]))
    return bearer


def actor_from_token(settings: Settings, token: str) -> Actor:
    return read_token(settings, token).actor


def revoked(tokens: TokenRegistry, bearer: Bearer) -> bool:
    """Whether the county revoked the token, or the token it was derived from."""
    return any(tokens.is_revoked(token_id) for token_id in (bearer.token_id, bearer.parent_id) if token_id)


async def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send `Authorization: Bearer <token>`; see the README for the development token")
    settings: Settings = request.app.state.settings
    tokens: TokenRegistry = request.app.state.tokens
    try:
        bearer = read_token(settings, credentials.credentials)
        if revoked(tokens, bearer):
            raise Unauthorized("this token was revoked; ask an administrator for a new one")
    except Unauthorized:
        failures: FailedAuthentications = request.app.state.auth_failures
        failures.failed(client_address(request))  # 429 instead, once this client has failed too often
        raise
    actor = bearer.actor
    # A valid token whose holder may not act now: 403, not 401 (nothing is wrong with the token — it works again
    # once the partner is reactivated — so it does not count as a failed authentication either). Here, in the
    # dependency every route's caller comes from, it comes before any check of the route's own.
    if actor.role is Role.PARTNER and tokens.partners.is_deactivated(actor.org_id):
        raise Forbidden(f"partner {actor.org_id} is deactivated: the county refuses its tokens until it reactivates "
                        "the partner; ask the county's administrators")
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require(actor: Actor, action: str, *roles: Role) -> None:
    if actor.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise Forbidden(f"only {allowed} may {action}; your token's role is {actor.role.value}")


async def _answer(answer: Response | Awaitable[Response]) -> Response:
    return await answer if inspect.isawaitable(answer) else answer


def authenticate_before_the_body(app: FastAPI) -> None:
    """A body that is not JSON at all is refused by FastAPI before any dependency runs, so before the token is
    read: a caller with no valid token heard what the body should have been instead of 401. On /v1 such a
    request is authenticated first (counted, throttled and refused as any other), and only a caller who passes
    hears about the body. Every other invalid request already meets the token first (dependencies run before the
    body's fields are checked)."""
    invalid = app.exception_handlers[RequestValidationError]

    async def authenticated_first(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if request.url.path.startswith("/v1/") and any(e.get("type") == "json_invalid" for e in exc.errors()):
            try:
                await current_actor(request, await _bearer(request))
            except Problem as refused:  # an exception handler's own raise would be a 500: answer it here
                handler = next(app.exception_handlers[kind] for kind in type(refused).__mro__
                               if kind in app.exception_handlers)
                return await _answer(handler(request, refused))
        return await _answer(invalid(request, exc))

    app.add_exception_handler(RequestValidationError, authenticated_first)
