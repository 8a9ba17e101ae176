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
recorded in the service's own store (``credentials_used``, services/kernel/store_schema.sql) before the call
is served (:class:`CredentialLedger`): ``INSERT … ON CONFLICT DO NOTHING``, and a credential whose id was
already there is refused — by whichever instance sees it second. Rows leave the table a minute after their
credential expired (it is refused by its ``exp`` by then), so it holds about two minutes of calls. The
process also remembers the ids it accepted, which is all a check without a store (a unit test, a tool) has.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import jwt

from services.kernel.group_commit import GroupWriter, Waiting
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
_REQUIRED = ("iss", "aud", "sub", "role", "iat", "exp", "jti", "htm", "htu", "bsh")
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


def verify(secret: str, token: str, *, audience: str) -> dict[str, Any]:
    """The claims of ``token`` if the gateway signed it for ``audience`` and it is within its life, else
    :class:`Unauthorized` saying why."""
    try:
        claims: dict[str, Any] = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=audience,
                                            issuer=ISSUER, leeway=LEEWAY, options={"require": list(_REQUIRED)})
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"the gateway credential is not valid ({exc})") from None
    if int(claims["exp"]) - int(claims["iat"]) > MAX_LIFETIME:
        raise Unauthorized(f"the gateway credential lives longer than {MAX_LIFETIME} s")
    return claims


@dataclass(frozen=True)
class Admitted:
    """A credential checked against its request: who it names, and the id and expiry it is spent under."""

    actor: Actor
    jti: str
    expires: float


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
        return verify(self.secret, token, audience=self.audience)

    def admit(self, authorization: str | None, *, method: str, request_target: str, body: bytes) -> Admitted:
        """A valid credential for exactly this request, not yet seen by this process, else
        :class:`Unauthorized`. Across instances it still has to be spent (:class:`CredentialLedger`)."""
        claims = self.claims(authorization)
        if claims["htm"] != method.upper() or claims["htu"] != request_target:
            raise Unauthorized("the gateway credential was issued for another request")
        if claims["bsh"] != body_hash(body):
            raise Unauthorized("the gateway credential was issued for another body")
        try:
            role = Role(claims["role"])
        except ValueError:
            raise Unauthorized("the gateway credential names an unknown role") from None
        jti, expires = str(claims["jti"]), float(claims["exp"])
        self._once(jti, expires)
        org = claims.get("org")
        return Admitted(actor=Actor(subject=str(claims["sub"]), role=role, org_id=str(org) if org else None),
                        jti=jti, expires=expires)

    def actor(self, authorization: str | None, *, method: str, request_target: str, body: bytes) -> Actor:
        """The caller named by a valid credential for exactly this request, else :class:`Unauthorized`."""
        return self.admit(authorization, method=method, request_target=request_target, body=body).actor

    async def spend(self, pool: asyncpg.Pool, authorization: str | None) -> None:
        """Record one credential's id in the service's store, or :class:`Unauthorized` if any instance already
        did (what :class:`CredentialLedger` does for a served request, here for a credential on its own)."""
        claims = self.claims(authorization)  # only a credential the gateway signed is written down
        self._store_pruned = await prune(pool, self._store_pruned)
        if not await record(pool, [(str(claims["jti"]), float(claims["exp"]))]):
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


# The ids are written with asynchronous commit (set_config(…, true) lasts for this statement's transaction): the
# row is visible to every instance at once, which is what refuses a replay, and WAL is flushed in order, so the
# append of a command served under the credential — committed synchronously — makes its id durable with it. Only
# a crash of PostgreSQL within a fraction of a second can forget the id of a call that then wrote nothing.
_RECORD = (
    "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true))"
    " INSERT INTO credentials_used (jti, expires_at)"
    " SELECT jti, to_timestamp(expires) FROM quick, unnest($1::text[], $2::float8[]) AS spent(jti, expires)"
    " ON CONFLICT (jti) DO NOTHING RETURNING jti")
_PRUNE = "DELETE FROM credentials_used WHERE expires_at < to_timestamp($1)"


async def record(pool: asyncpg.Pool, spent: Sequence[tuple[str, float]]) -> set[str]:
    """Write the ids (with their credentials' expiry) to ``credentials_used``; the ids that were not there yet."""
    rows = await pool.fetch(_RECORD, [jti for jti, _ in spent], [expires for _, expires in spent])
    return {row["jti"] for row in rows}


async def prune(pool: asyncpg.Pool, last: float) -> float:
    """Forget ids long past their credential's expiry — at most once a second: ``last`` is when it was last done,
    and the answer when it now was."""
    now = time.time()
    if now - last <= 1.0:
        return last
    await pool.execute(_PRUNE, now - LEEWAY - KEEP_AFTER_EXPIRY)
    return now


class CredentialLedger:
    """Spends the credentials of served requests in the service's store, many in one statement.

    Requests served together are written together, as the event store groups appends
    (services/kernel/group_commit.py): one round trip and one commit for every credential that arrived
    meanwhile instead of one each. Each request still waits for its own answer before it is served; an outage
    fails the requests waiting (503, retried with a new credential)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._pruned = 0.0
        self._writer: GroupWriter[tuple[str, float], bool] = GroupWriter(
            self._write, name="credential-ledger",
            closing=lambda: ConnectionError("the service is shutting down; retry"))

    async def spend(self, admitted: Admitted) -> None:
        """Record the credential's id, or :class:`Unauthorized` if any instance already did."""
        if not await self._writer.submit((admitted.jti, admitted.expires)):
            raise Unauthorized(_USED)

    async def _write(self, batch: list[Waiting[tuple[str, float], bool]]) -> list[Waiting[tuple[str, float], bool]]:
        self._pruned = await prune(self.pool, self._pruned)
        fresh = await record(self.pool, [w.item for w in batch])
        for waiting in batch:
            jti = waiting.item[0]
            waiting.answer(jti in fresh)
            fresh.discard(jti)  # the same id twice in one batch: only its first request is served
        return []

    async def aclose(self) -> None:
        await self._writer.aclose()
