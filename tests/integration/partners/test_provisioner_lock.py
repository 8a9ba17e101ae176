"""Partners instances never provision Kafka at once (services/partners/provisioner.py): a pass runs only while its
transaction holds the provisioner's advisory lock, reads the directory after taking it, and stops at the next
partner when its transaction is lost — tried on real PostgreSQL, with the Kafka calls recorded instead of made."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
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
from tests.e2e.conftest import eventually

DATABASE = "partners_provisioner_test"
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
DEADLINE_SECONDS = 20.0
Calls = list[tuple[str, str]]


def meta() -> CommandMeta:
    return CommandMeta(actor="tester", occurred_at=datetime.now(UTC), correlation_id=str(uuid.uuid4()))


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[EventStore[Any]]:
    pool = await pools.create_pool(await fresh_database(settings, DATABASE), min_size=1, max_size=6)
    s: EventStore[Any] = EventStore(pool, REGISTRY)
    await s.start()
    yield s
    await s.stop()
    await pool.close()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    made: Calls = []

    async def ensure(settings: Settings, partner_id: str, generation: int = 0) -> None:
        made.append(("ensure", partner_id))

    async def revoke(settings: Settings, partner_id: str) -> None:
        made.append(("revoke", partner_id))

    monkeypatch.setattr(provisioner, "ensure_partner", ensure)
    monkeypatch.setattr(provisioner, "revoke_partner", revoke)
    monkeypatch.setattr(provisioner, "POLL_SECONDS", 0.05)
    return made


async def _register(store: EventStore[Any], partner_id: str) -> None:
    event = PartnerRegistered(
        partner_id=partner_id, name=partner_id, kind=PartnerKind.HOST_COMMITTEE, contact="c",
        scope=PartnerScope(event_types=()), personal_data=PersonalDataPolicy.MASKED, registered_at=NOW, actor="county")
    await store.append(await store.load(partner_id), "partner", [event], meta())



def _now(condition: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    """A condition on what this process recorded, as ``eventually`` polls it."""
    async def check() -> bool:
        return condition()
    return check


@asynccontextmanager
async def _running(store: EventStore[Any], settings: Settings) -> AsyncIterator[None]:
    """A provisioner instance for the duration of the block, stopped at its end."""
    stop = asyncio.Event()
    task = asyncio.create_task(provisioner.provision_forever(store, settings, stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def test_no_pass_runs_while_another_instance_holds_the_lock_and_the_next_reads_the_latest_state(
    store: EventStore[Any], settings: Settings, calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="partners.provisioner")
    await _register(store, "p-1")
    other = await asyncpg.connect(settings.dsn(DATABASE))  # another instance, mid-pass
    other_pass = other.transaction()
    await other_pass.start()
    assert await other.fetchval("SELECT pg_try_advisory_xact_lock(hashtext($1))", provisioner.LOCK)
    try:
        async with _running(store, settings):
            skipped = "another instance is provisioning"
            await eventually(_now(lambda: caplog.text.count(skipped) >= 3), DEADLINE_SECONDS, "three passes skipped")
            assert calls == []  # no pass overlapped the other instance's
            # The other instance's pass deactivates the partner, and its transaction ends.
            deactivated = PartnerDeactivated(partner_id="p-1", reason="ended", deactivated_at=NOW, actor="county")
            await store.append(await store.load("p-1"), "partner", [deactivated], meta())
            await other_pass.commit()
            await eventually(_now(lambda: bool(calls)), DEADLINE_SECONDS, "a pass once the lock is free")
        # The directory was read after the lock was taken: revoked, never provisioned from the view before it.
        assert calls == [("revoke", "p-1")]
    finally:
        await other.close()


async def test_a_pass_whose_transaction_is_lost_stops_at_the_next_partner_and_a_later_pass_finishes(
    store: EventStore[Any], settings: Settings, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    for partner_id in ("p-1", "p-2"):
        await _register(store, partner_id)
    admin = await asyncpg.connect(settings.dsn(DATABASE))
    cut: list[str] = []

    async def ensure_then_lose_the_lock(settings: Settings, partner_id: str, generation: int = 0) -> None:
        calls.append(("ensure", partner_id))
        if not cut:  # PostgreSQL ends the pass's session (a restart, a failover) while Kafka is being called
            cut.append(partner_id)
            holders = await admin.fetch(  # pg_locks is the whole server's: only this database's advisory locks
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())")
            assert len(holders) == 1
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", holders[0]["pid"])

    monkeypatch.setattr(provisioner, "ensure_partner", ensure_then_lose_the_lock)
    try:
        async with _running(store, settings):
            await eventually(_now(lambda: {c[1] for c in calls} == {"p-1", "p-2"}), DEADLINE_SECONDS,
                             "both partners provisioned")
        # The pass stopped before p-2 (its lock was gone); a later pass, on a fresh connection, did p-2 alone.
        assert calls == [("ensure", "p-1"), ("ensure", "p-2")]
    finally:
        await admin.close()


async def test_two_instances_never_provision_at_once(
    store: EventStore[Any], settings: Settings, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    partners = [f"p-{n}" for n in range(6)]
    for partner_id in partners:
        await _register(store, partner_id)
    doing: list[str] = []
    overlaps: list[tuple[str, str]] = []

    async def slow_ensure(settings: Settings, partner_id: str, generation: int = 0) -> None:
        if doing:
            overlaps.append((doing[0], partner_id))
        doing.append(partner_id)
        await asyncio.sleep(0.02)  # the Kafka admin call's own time, during which the other instance polls
        doing.remove(partner_id)
        calls.append(("ensure", partner_id))

    monkeypatch.setattr(provisioner, "ensure_partner", slow_ensure)
    # Two instances in one process share nothing but the store: each has its own `done`, as two processes would.
    async with _running(store, settings), _running(store, settings):
        await eventually(_now(lambda: {c[1] for c in calls} == set(partners)), DEADLINE_SECONDS,
                         "every partner provisioned")
    assert overlaps == []
