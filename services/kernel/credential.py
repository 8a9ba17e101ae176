"""The gateway's credential for one internal call: who is acting, for which service, for exactly this request.

The services listen on loopback (or a private network in containers), but anything on that machine or
network can reach their ports. So a service believes no header it did not see signed: each forwarded
call carries a JWT (HS256 with ``GB_INTERNAL_SECRET``, which only the gateway and the services hold)
that names

* the service it is for (``aud``): a credential for membership is refused by investment;
* the caller (``sub``, ``role``, ``org``): the identity the gateway authenticated;
* the request (``htm`` method, ``htu`` raw path with its query, ``bsh`` SHA-256 of the body): a
  credential cannot be moved to another command, another record or another body;
* a short life (``exp`` at most :data:`MAX_LIFETIME` seconds after ``iat``) and an id (``jti``) the
  service accepts once: a captured credential cannot be replayed, even unchanged, even within its life.

The once-only check must hold across every instance of the service, so each credential's ``jti`` is
recorded in the service's own store (``credentials_used``, services/kernel/store_schema.sql) by
:meth:`CredentialCheck.spend` before the call is served: ``INSERT … ON CONFLICT DO NOTHING``, and a
credential whose id was already there is refused — by whichever instance sees it second. Rows leave the
table a minute after their credential expired (it is refused by its ``exp`` by then), so it holds about
two minutes of calls. The process also remembers the ids it accepted, which is all a check without a
store (a unit test, a tool) has.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import jwt

from services.pure.errors import Unauthorized
from services.pure.identity import Actor, Role

ISSUER = "golden-bridge-gateway"
ALGORITHM = "HS256"
#: How long a credential lives: long enough for a slow hop, short enough to be worthless when captured.
LIFETIME = 30
#: The longest life a service accepts, whatever the credential says.
MAX_LIFETIME = 60
#: Clock skew tolerated between the gateway and a service (they share one machine or one network).
LEEWAY = 5
_REQUIRED = ["iss", "aud", "sub", "role", "iat", "exp", "jti", "htm", "htu", "bsh"]
#: How long after its expiry a used credential's id is kept: generous, so that an instance whose clock runs
#: ahead never forgets an id another instance would still accept.
KEEP_AFTER_EXPIRY = MAX_LIFETIME
_USED = "this gateway credential was already used; each call needs its own"


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def target(raw_path: bytes, query: bytes) -> str:
    """The request target as sent on the wire: raw path, and ``?query`` when there is one."""
    return (raw_path + (b"?" + query if query else b"")).decode("latin-1")


def sign(secret: str, *, audience: str, actor: Actor, method: str, request_target: str, body: bytes,
         now: float | None = None, lifetime: int = LIFETIME) -> str:
    """A credential for one call of ``method request_target`` with ``body`` to the service ``audience``."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": ISSUER, "aud": audience, "sub": actor.subject, "role": actor.role.value, "org": actor.org_id,
        "iat": issued, "exp": issued + lifetime, "jti": uuid.uuid4().hex,
        "htm": method.upper(), "htu": request_target, "bsh": body_hash(body),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass
class CredentialCheck:
    """A service's check of the gateway's credentials (one per service process)."""

    secret: str
    audience: str
    _seen: dict[str, float] = field(default_factory=dict)
    _pruned: float = 0.0

    _store_pruned: float = 0.0

    def claims(self, authorization: str | None) -> dict[str, Any]:
        """The claims of a credential signed for this service and not expired, else :class:`Unauthorized`."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("no gateway credential: this is an internal API, call it through the gateway")
        try:
            claims: dict[str, Any] = jwt.decode(token, self.secret, algorithms=[ALGORITHM], audience=self.audience,
                                                issuer=ISSUER, leeway=LEEWAY, options={"require": _REQUIRED})
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the gateway credential is not valid ({exc})") from None
        if int(claims["exp"]) - int(claims["iat"]) > MAX_LIFETIME:
            raise Unauthorized(f"the gateway credential lives longer than {MAX_LIFETIME} s")
        return claims

    def actor(self, authorization: str | None, *, method: str, request_target: str, body: bytes) -> Actor:
        """The caller named by a valid credential for exactly this request, else :class:`Unauthorized`."""
        claims = self.claims(authorization)
        if claims["htm"] != method.upper() or claims["htu"] != request_target:
            raise Unauthorized("the gateway credential was issued for another request")
        if claims["bsh"] != body_hash(body):
            raise Unauthorized("the gateway credential was issued for another body")
        try:
            role = Role(claims["role"])
        except ValueError:
            raise Unauthorized("the gateway credential names an unknown role") from None
        self._once(str(claims["jti"]), float(claims["exp"]))
        org = claims.get("org")
        return Actor(subject=str(claims["sub"]), role=role, org_id=str(org) if org else None)

    async def spend(self, pool: asyncpg.Pool, authorization: str | None) -> None:
        """Record the credential's id in the service's store, or :class:`Unauthorized` if any instance already
        did: a valid credential is served once by the service, whichever instance it reaches."""
        claims = self.claims(authorization)  # only a credential the gateway signed is written down
        now = time.time()
        if now - self._store_pruned > 1.0:  # at most once a second per process
            self._store_pruned = now
            await pool.execute("DELETE FROM credentials_used WHERE expires_at < to_timestamp($1)",
                               now - LEEWAY - KEEP_AFTER_EXPIRY)
        inserted = await pool.fetchval(
            "INSERT INTO credentials_used (jti, expires_at) VALUES ($1, to_timestamp($2))"
            " ON CONFLICT (jti) DO NOTHING RETURNING true", str(claims["jti"]), float(claims["exp"]))
        if not inserted:
            raise Unauthorized(_USED)

    def _once(self, jti: str, expires: float) -> None:
        now = time.time()
        if now - self._pruned > 1.0:
            # Expired credentials are refused by their exp already; forget them (once a second at most).
            self._seen = {k: v for k, v in self._seen.items() if v + LEEWAY >= now}
            self._pruned = now
        if jti in self._seen:
            raise Unauthorized(_USED)
        self._seen[jti] = expires
