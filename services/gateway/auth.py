"""Bearer-token authentication: the development admin token and signed tokens for everyone else."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.kernel.settings import Settings
from services.pure.errors import Forbidden, Unauthorized
from services.pure.identity import Actor, Role

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`")
ISSUER = "golden-bridge-gateway"


def issue_token(settings: Settings, actor: Actor, *, days: int = 30) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER, "sub": actor.subject, "role": actor.role.value, "org": actor.org_id,
        "iat": now, "exp": now + timedelta(days=days),
    }
    return jwt.encode(claims, settings.token_secret, algorithm="HS256")


def actor_from_token(settings: Settings, token: str) -> Actor:
    if hmac.compare_digest(token.encode(), settings.admin_token.encode()):
        return Actor(subject="dev-admin", role=Role.COUNTY_ADMIN)
    try:
        claims = jwt.decode(token, settings.token_secret, algorithms=["HS256"], issuer=ISSUER,
                            options={"require": ["exp", "sub", "role"]})
        return Actor(subject=claims["sub"], role=Role(claims["role"]), org_id=claims.get("org"))
    except (jwt.PyJWTError, ValueError) as exc:
        raise Unauthorized(f"the bearer token is not valid ({exc}); ask an administrator for a new one") from None


async def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send `Authorization: Bearer <token>`; see the README for the development token")
    settings: Settings = request.app.state.settings
    return actor_from_token(settings, credentials.credentials)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require(actor: Actor, action: str, *roles: Role) -> None:
    if actor.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise Forbidden(f"only {allowed} may {action}; your token's role is {actor.role.value}")
