"""Only one partners instance provisions Kafka at a time (services/partners/provisioner.py): while another session
holds the provisioner's advisory lock on the partners store, a provisioner does nothing; once it gets the lock it
re-reads the directory and acts on the latest state — tried on real PostgreSQL, with Kafka calls recorded."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from services.kernel import pools
from services.kernel.settings import Settings
from services.kernel.store import CommandMeta, EventStore
from services.partners import provisioner
from services.partners.contract.events import REGISTRY, PartnerDeactivated, PartnerRegistered, PartnerScope
from services.partners.contract.values import PartnerKind, PersonalDataPolicy
from tests.conftest import fresh_database

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def meta() -> CommandMeta:
    return CommandMeta(actor="tester", occurred_at=datetime.now(UTC), correlation_id=str(uuid.uuid4()),
                       idempotency_key=None, fingerprint="f", traceparent=None)


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[EventStore[Any]]:
    pool = await pools.create_pool(await fresh_database(settings, "partners_provisioner_test"), min_size=1,
                                   max_size=4)
    s: EventStore[Any] = EventStore(pool, REGISTRY)
    await s.start()
    yield s
    await s.stop()
    await pool.close()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    made: list[tuple[str, str]] = []

    async def ensure(settings: Settings, partner_id: str, generation: int = 0) -> None:
        made.append(("ensure", partner_id))

    async def revoke(settings: Settings, partner_id: str) -> None:
        made.append(("revoke", partner_id))

    monkeypatch.setattr(provisioner, "ensure_partner", ensure)
    monkeypatch.setattr(provisioner, "revoke_partner", revoke)
    monkeypatch.setattr(provisioner, "STANDBY_SECONDS", 0.1)
    monkeypatch.setattr(provisioner, "POLL_SECONDS", 0.1)
    return made


async def _record(store: EventStore[Any], event: Any) -> None:
    await store.append(await store.load(event.partner_id), "partner", [event], meta())


async def _try_lock(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", provisioner.LOCK))


async def test_a_provisioner_waits_for_the_lock_and_then_acts_on_the_latest_state(
    store: EventStore[Any], settings: Settings, calls: list[tuple[str, str]]
) -> None:
    await _record(store, PartnerRegistered(
        partner_id="p-1", name="p", kind=PartnerKind.HOST_COMMITTEE, contact="c", scope=PartnerScope(event_types=()),
        personal_data=PersonalDataPolicy.MASKED, registered_at=NOW, actor="county"))
    other = await asyncpg.connect(settings.dsn("partners_provisioner_test"))  # another instance, mid-pass
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    try:
        assert await _try_lock(other)
        task = asyncio.create_task(provisioner.provision_forever(store, settings, stop))
        await asyncio.sleep(0.6)
        assert calls == []  # no pass overlaps the other instance's
        # The other instance's pass deactivates the partner, then ends.
        await _record(store, PartnerDeactivated(partner_id="p-1", reason="ended", deactivated_at=NOW, actor="county"))
        await other.execute("SELECT pg_advisory_unlock_all()")
        for _ in range(50):
            if calls:
                break
            await asyncio.sleep(0.1)
        # The directory was re-read after taking the lock: the partner is revoked, never provisioned from the old view.
        assert calls == [("revoke", "p-1")]
        assert not await _try_lock(other)  # and now this provisioner holds the lock: nobody else provisions
    finally:
        stop.set()
        if task is not None:
            await task
        released = await _try_lock(other)
        await other.close()
    assert released  # a stopped provisioner gives the lock back
