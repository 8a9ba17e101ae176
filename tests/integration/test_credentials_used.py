"""A gateway credential is served once by a service, whichever of its instances it reaches: the once-only check
is held in the service's store (services/kernel/credential.py, table credentials_used)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest

from services.kernel import credential
from services.kernel.credential import Admitted, CredentialCheck, CredentialLedger
from services.kernel.events import EventRegistry
from services.kernel.settings import Settings
from services.kernel.store import EventStore
from services.pure.errors import Unauthorized
from services.pure.identity import Actor, Role

SECRET = "an internal secret of at least thirty-two characters"
PATH, BODY = "/members", b'{"name": "Li Wei"}'
CLERK = Actor(subject="clerk", role=Role.COUNTY_ADMIN)


@dataclass(frozen=True, kw_only=True)
class Noted:
    text: str


@pytest.fixture(scope="module")
async def pool(kernel_pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Pool]:
    # The store's schema (with credentials_used) is what every service installs on start.
    store = EventStore(kernel_pool, EventRegistry(source="/golden-bridge/kernel-test",
                                                  events={"gb.test.noted.v1": Noted}))
    await store.start()
    yield kernel_pool
    await store.stop()


def signed(now: float | None = None, lifetime: int = credential.LIFETIME) -> str:
    return "Bearer " + credential.sign(SECRET, audience="membership", actor=CLERK, method="POST",
                                       request_target=PATH, body=BODY, now=now, lifetime=lifetime)


def instance() -> CredentialCheck:
    """One service process's check: each instance has its own memory, and shares only the store."""
    return CredentialCheck(secret=SECRET, audience="membership")


async def test_a_credential_served_by_one_instance_is_refused_by_another(pool: asyncpg.Pool) -> None:
    header = signed()
    first, second = instance(), instance()
    await first.spend(pool, header)
    assert first.actor(header, method="POST", request_target=PATH, body=BODY) == CLERK
    with pytest.raises(Unauthorized, match="already used"):
        await second.spend(pool, header)
    with pytest.raises(Unauthorized, match="already used"):
        await first.spend(pool, header)


async def test_one_credential_presented_to_many_instances_at_once_is_served_once(pool: asyncpg.Pool) -> None:
    header = signed()
    outcomes = await asyncio.gather(*(instance().spend(pool, header) for _ in range(20)), return_exceptions=True)
    assert sum(o is None for o in outcomes) == 1
    assert all(isinstance(o, Unauthorized) for o in outcomes if o is not None)


async def test_a_credential_that_is_not_the_gateways_is_refused_and_written_nowhere(pool: asyncpg.Pool) -> None:
    before = await pool.fetchval("SELECT count(*) FROM credentials_used")
    forged = "Bearer " + credential.sign("another secret of at least thirty-two characters", audience="membership",
                                         actor=CLERK, method="POST", request_target=PATH, body=BODY)
    for header in (None, "Basic x", forged, signed(now=time.time() - 3600)):
        with pytest.raises(Unauthorized):
            await instance().spend(pool, header)
    assert await pool.fetchval("SELECT count(*) FROM credentials_used") == before


async def test_ids_of_long_expired_credentials_are_pruned_and_live_ones_kept(pool: asyncpg.Pool) -> None:
    await pool.execute("INSERT INTO credentials_used (jti, expires_at) VALUES ('long-gone', now() - interval '1 hour'),"
                       " ('just-expired', now() - interval '2 seconds')")
    live = signed()
    await instance().spend(pool, live)  # a fresh process prunes on its first call
    kept = {r["jti"] for r in await pool.fetch("SELECT jti FROM credentials_used")}
    assert "long-gone" not in kept
    # Kept a minute past its expiry, so an instance whose clock runs behind still refuses it.
    assert "just-expired" in kept
    with pytest.raises(Unauthorized, match="already used"):
        await instance().spend(pool, live)


def admitted(jti: str) -> Admitted:
    return Admitted(actor=CLERK, jti=jti, expires=time.time() + 30)


async def test_credentials_served_together_are_each_served_once_by_every_instance(pool: asyncpg.Pool) -> None:
    first, second = CredentialLedger(pool), CredentialLedger(pool)
    ids = [f"together-{n}-{time.time_ns()}" for n in range(50)]
    try:
        assert await asyncio.gather(*(first.spend(admitted(j)) for j in ids)) == [None] * 50
        refused = await asyncio.gather(*(second.spend(admitted(j)) for j in ids), return_exceptions=True)
        assert all(isinstance(r, Unauthorized) for r in refused)
        assert await pool.fetchval("SELECT count(*) FROM credentials_used WHERE jti = ANY($1)", ids) == 50
    finally:
        await first.aclose()
        await second.aclose()


async def test_one_credential_twice_in_one_batch_is_served_once(pool: asyncpg.Pool) -> None:
    ledger = CredentialLedger(pool)
    twice = admitted(f"twice-{time.time_ns()}")
    try:
        outcomes = await asyncio.gather(ledger.spend(twice), ledger.spend(twice), return_exceptions=True)
        assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "Unauthorized"]
    finally:
        await ledger.aclose()


async def test_a_ledger_whose_database_is_gone_fails_the_waiting_call_instead_of_hanging(
        pool: asyncpg.Pool, settings: Settings) -> None:
    gone = await asyncpg.create_pool(settings.dsn("kernel_test"), min_size=1, max_size=1)
    await gone.close()
    ledger = CredentialLedger(gone)
    try:
        with pytest.raises(Exception) as failed:
            await asyncio.wait_for(ledger.spend(admitted(f"gone-{time.time_ns()}")), 10)
        assert not isinstance(failed.value, (Unauthorized, TimeoutError))
    finally:
        await ledger.aclose()
