"""Dues follow a received transfer, against the real PostgreSQL store: the sweep moves an account whose
reaction a crash cut off, and however often the reaction runs — the handler, the sweep, a lost progress mark —
the account moves once (the reception's idempotency key is written with the dues events)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from services.kernel.settings import Settings
from services.kernel.store import CommandMeta, EventStore, install_schema
from services.membership import dues_on_reception
from services.membership.contract.events import REGISTRY
from services.membership.contract.events.common import DuesCategory
from services.membership.contract.events.dues import DuesAccountOpened, DuesContinuedAfterTransfer
from services.membership.contract.events.transfers import TransferReceived
from tests.conftest import fresh_database


@pytest.fixture(scope="module")
async def store(settings: Settings) -> AsyncIterator[EventStore[Any]]:
    pool = await asyncpg.create_pool(await fresh_database(settings, "dues_reception_test"), min_size=2, max_size=8)
    await install_schema(pool)
    await dues_on_reception.install(pool)
    s: EventStore[Any] = EventStore(pool, REGISTRY)
    await s.start()
    yield s
    await s.stop()
    await pool.close()


def meta() -> CommandMeta:
    return CommandMeta(actor="county_admin:test", occurred_at=datetime.now(UTC), correlation_id=str(uuid.uuid4()))


async def received_without_reaction(store: EventStore[Any]) -> str:
    """A member of b-1 with a dues account, received at b-2 — and the process stopped before the reaction."""
    member_id = f"m-{uuid.uuid4().hex[:8]}"
    await store.append(await store.load(f"dues-{member_id}"), "dues", [DuesAccountOpened(
        member_id=member_id, org_id="b-1", category=DuesCategory.WAGE_EARNER, base=Decimal("4000.00"),
        flat_amount=None, owed_from="2026-01", admitted_on=None, opened_on=date(2026, 1, 5), actor="a",
        policy_version="dues-2008")], meta())
    await store.append(await store.load(member_id), "member", [TransferReceived(
        member_id=member_id, transfer_id="t-1", letter_number="L-1", received_on=date(2026, 3, 10),
        from_org_id="b-1", to_org_id="b-2", to_external=None, certificate_closed=None, actor="a",
        receiving_org_id="b-2")], meta())
    return member_id


async def moves(store: EventStore[Any], member_id: str) -> list[DuesContinuedAfterTransfer]:
    stream = await store.load(f"dues-{member_id}")
    return [r.event for r in stream.events if isinstance(r.event, DuesContinuedAfterTransfer)]


async def test_the_sweep_moves_an_account_whose_reaction_was_cut_off_and_only_once(store: EventStore[Any]) -> None:
    member_id = await received_without_reaction(store)
    assert await moves(store, member_id) == []
    assert await dues_on_reception.sweep(store) >= 1
    (moved,) = await moves(store, member_id)
    assert (moved.from_org_id, moved.to_org_id, moved.letter_number, moved.continues_from) == (
        "b-1", "b-2", "L-1", "2026-01")
    # Again: the mark is past it; the handler's own reaction answers with the first result.
    assert await dues_on_reception.sweep(store) == 0
    reception = (await store.load(member_id)).events[-1]
    again = await dues_on_reception.follow(store, reception)
    assert again is not None and again.replayed
    # The mark lost: the sweep looks at every reception again and still moves nothing twice.
    await store.pool.execute("DELETE FROM dues_reception_progress")
    assert await dues_on_reception.sweep(store) >= 1
    assert len(await moves(store, member_id)) == 1


async def test_a_reception_without_a_dues_account_here_moves_nothing_and_is_passed(store: EventStore[Any]) -> None:
    member_id = f"m-{uuid.uuid4().hex[:8]}"
    result = await store.append(await store.load(member_id), "member", [TransferReceived(
        member_id=member_id, transfer_id="t-1", letter_number="L-2", received_on=date(2026, 3, 10),
        from_org_id="b-1", to_org_id="b-2", to_external=None, certificate_closed=None, actor="a",
        receiving_org_id="b-2")], meta())
    await dues_on_reception.follow_appended(store, result)
    await dues_on_reception.sweep(store)
    assert (await store.load(f"dues-{member_id}")).events == []
    assert await store.pool.fetchval("SELECT position FROM dues_reception_progress") >= result.last_position
