"""The record of issued and revoked tokens: events in the gateway's own store, and the revocation check.

Each token issued at ``POST /v1/tokens`` is a stream (its id, the token's ``jti``) in an event store of
the gateway's own — the kernel's ``EventStore``, in the schema ``access`` of the gateway's database
(apart from the read models in ``public``, which a rebuild drops). Its events say who the token is
for, until when, who issued it and when; a revocation says who revoked it and when. The token itself
is never stored: whoever reads the store cannot act with what they find there. The events carry a
hash chain like every service's, so the county's record of access is tamper-evident too.

The revocation check runs on every authenticated request, so it reads memory, never the database:
``revoked`` holds the ids of revoked tokens that have not yet expired (after its expiry a token is
refused anyway). The process that revokes a token adds it at once; every gateway process also reads
new revocations from the store every :data:`REFRESH_SECONDS`, so a revocation made by another gateway
process reaches this one within that time (the bound of staleness). If the store cannot be read,
the set keeps what it knew and the refresh is tried again — revocations are never forgotten.

The same loop keeps the deactivated partners (``partners``, services/gateway/partner_access.py), whose tokens are
refused as long as they stay deactivated: one refresh of what may no longer be used, on one schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.gateway.partner_access import DeactivatedPartners
from services.kernel.events import EventRegistry
from services.kernel.store import CommandMeta, EventStore, RecordedEvent
from services.pure.errors import NotFound, StateConflict
from services.pure.identity import Actor

log = logging.getLogger(__name__)

SCHEMA = "access"
STREAM_TYPE = "access_token"
#: Longest time a revocation made by another gateway process takes to be refused here.
REFRESH_SECONDS = 2.0


@dataclass(frozen=True, kw_only=True)
class TokenIssued:
    """A bearer token was issued (the token itself is never recorded, only who it is for and until when)."""

    token_id: str
    subject: str
    role: str
    org_id: str | None = None
    expires_at: datetime
    #: The token a console session was opened with (refused with it); absent on tokens the county issued.
    parent_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class TokenRevoked:
    """A token was revoked: from now on it is refused."""

    token_id: str
    reason: str | None = None


AccessEvent = TokenIssued | TokenRevoked
REGISTRY: EventRegistry[Any] = EventRegistry(source="/golden-bridge/gateway/access", events={
    "gb.access.token_issued.v1": TokenIssued,
    "gb.access.token_revoked.v1": TokenRevoked,
})


@dataclass(frozen=True, kw_only=True)
class TokenRecord:
    """What the county sees of one token: its holder, its life, who issued and who revoked it."""

    token_id: str
    subject: str
    role: str
    org_id: str | None
    expires_at: datetime
    issued_by: str
    issued_at: datetime
    revoked_by: str | None = None
    revoked_at: datetime | None = None
    reason: str | None = None
    parent_id: str | None = None


def access_meta(actor: Actor, headers: Mapping[str, str]) -> CommandMeta:
    """The metadata of an issuance or revocation made by ``actor`` now, in the correlation of the request whose
    ``headers`` these are (a new one when it names none)."""
    return CommandMeta(actor=actor.label, occurred_at=datetime.now(UTC),
                       correlation_id=headers.get("x-correlation-id") or str(uuid.uuid4()))


class TokenRegistry:
    """Issued and revoked tokens, durable in the store; the revoked ids not yet expired, in memory; and the
    deactivated partners, whose tokens are refused while they stay deactivated (refreshed with the revocations)."""

    def __init__(self, store: EventStore[Any]) -> None:
        self.store = store
        self.partners = DeactivatedPartners()
        self._revoked: dict[str, datetime] = {}
        self._expiry: dict[str, datetime] = {}
        self._seen = 0

    def is_revoked(self, token_id: str) -> bool:
        return token_id in self._revoked

    async def issued(self, issued: TokenIssued, meta: CommandMeta) -> None:
        stream = await self.store.load(issued.token_id)
        await self.store.append(stream, STREAM_TYPE, [issued], meta)

    async def revoke(self, token_id: str, reason: str | None, meta: CommandMeta) -> TokenRecord:
        stream = await self.store.load(token_id)
        if not stream.events:
            raise NotFound(f"no token {token_id} was issued here; the id is the token's `jti`")
        if any(isinstance(r.event, TokenRevoked) for r in stream.events):
            raise StateConflict(f"token {token_id} is already revoked")
        # The stream's version makes a concurrent second revocation a 409, not a second event.
        await self.store.append(stream, STREAM_TYPE, [TokenRevoked(token_id=token_id, reason=reason)], meta)
        first = stream.events[0].event
        assert isinstance(first, TokenIssued)
        self._revoked[token_id] = first.expires_at
        record = await self.record(token_id)
        assert record is not None
        return record

    async def record(self, token_id: str) -> TokenRecord | None:
        return _record((await self.store.load(token_id)).events)

    async def history(self, after: int, limit: int) -> list[RecordedEvent[Any]]:
        """Issuances and revocations in the order they were recorded, after a position."""
        return await self.store.read_all(after_position=after, limit=limit)

    async def refresh(self) -> None:
        """Read the revocations recorded since the last refresh; forget those whose token has expired."""
        while batch := await self.store.read_all(after_position=self._seen, limit=1000):
            for recorded in batch:
                event = recorded.event
                if isinstance(event, TokenIssued):
                    self._expiry[event.token_id] = event.expires_at
                elif isinstance(event, TokenRevoked):
                    self._revoked[event.token_id] = self._expiry.get(event.token_id, datetime.max.replace(tzinfo=UTC))
                self._seen = recorded.envelope.position or self._seen
        now = datetime.now(UTC)
        for known in (self._revoked, self._expiry):
            for token_id in [t for t, expires in known.items() if expires < now]:
                del known[token_id]


def _record(events: list[RecordedEvent[Any]]) -> TokenRecord | None:
    if not events:
        return None
    first = events[0]
    issued = first.event
    assert isinstance(issued, TokenIssued)
    record = TokenRecord(token_id=issued.token_id, subject=issued.subject, role=issued.role, org_id=issued.org_id,
                         expires_at=issued.expires_at, issued_by=first.envelope.actor, issued_at=first.envelope.time,
                         parent_id=issued.parent_id)
    for later in events[1:]:
        if isinstance(later.event, TokenRevoked):
            return replace(record, revoked_by=later.envelope.actor, revoked_at=later.envelope.time,
                           reason=later.event.reason)
    return record


@contextlib.asynccontextmanager
async def token_registry(dsn: str) -> AsyncIterator[TokenRegistry]:
    """The registry on the gateway's database, its revocations and deactivated partners loaded before it is
    yielded (a gateway serves no request before), refreshed while it lives."""
    admin = await asyncpg.connect(dsn)
    try:
        async with admin.transaction():  # several gateway processes may start at once
            await admin.execute("SELECT pg_advisory_xact_lock(hashtext('gb_access_schema'))")
            await admin.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    finally:
        await admin.close()
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4, server_settings={"search_path": SCHEMA})
    store: EventStore[Any] = EventStore(pool, REGISTRY)
    try:
        await store.start()
        registry = TokenRegistry(store)
        refreshes = (("new token revocations", registry.refresh),
                     ("the deactivated partners", lambda: registry.partners.refresh(pool)))
        for _, refresh in refreshes:
            await refresh()
        task = asyncio.create_task(_keep_fresh(refreshes), name="token-revocations")
        try:
            yield registry
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await store.stop()
        await pool.close()


async def _keep_fresh(refreshes: Sequence[tuple[str, Callable[[], Awaitable[None]]]]) -> None:
    while True:
        await asyncio.sleep(REFRESH_SECONDS)
        for what, refresh in refreshes:  # each on its own: one failing does not hold the other back
            try:
                await refresh()
            except Exception:  # a database outage: keep what is known, try again next time
                log.exception("could not read %s; trying again in %s s", what, REFRESH_SECONDS)
