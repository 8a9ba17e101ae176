"""Retry records keep nothing of a person that can be recovered.

Erasure deletes the retry records of the person's stream in the transaction that appends it (membership's
personal_data.sql, read as the service reads it; the store is the kernel's), keeping the erasure's own so that its
retry still answers as it did. And the unkeyed fingerprints earlier versions stored for HTTP commands are
forgotten when the store is installed (store_schema.sql), while a consumer's fingerprint of an event id stays.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from services.kernel.retries import fingerprint_key, request_fingerprint
from services.kernel.settings import Settings
from services.kernel.store import CommandMeta, EventStore, install_schema
from services.pure.errors import IdempotencyKeyReused
from tests.integration.notes import PERSONAL_DATA_SQL, Erased, Noted, erasable_notes

KEY = fingerprint_key("s" * 40)
SECRETARY = "branch_secretary:bob@branch-1"
COUNTY = "county_admin:alice"



def meta(actor: str, key: str, fingerprint: str) -> CommandMeta:
    return CommandMeta(actor=actor, occurred_at=datetime.now(UTC), correlation_id=str(uuid.uuid4()),
                       idempotency_key=key, fingerprint=fingerprint)


def keyed(body: str) -> str:
    return request_fingerprint(KEY, "POST", "/members/m-1/outflows", body.encode())


def unkeyed(body: str) -> str:
    """The fingerprint of earlier versions: SHA-256 of method, path and body, nothing secret."""
    return hashlib.sha256(b"POST/members/m-1/outflows\n" + body.encode()).hexdigest()


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[EventStore[Noted | Erased]]:
    async with erasable_notes(settings, "retry_records") as notes:
        yield notes


async def _fingerprints(pool: asyncpg.Pool) -> dict[str, str]:
    return {r["key"]: r["fingerprint"] for r in await pool.fetch("SELECT key, fingerprint FROM idempotency_keys")}


async def test_erasure_deletes_the_persons_retry_records_and_keeps_its_own(store: EventStore[Noted | Erased]) -> None:
    pool = store.pool
    await pool.execute(PERSONAL_DATA_SQL)
    phone = '{"contact": {"phone": "13812344567"}}'
    await store.append(await store.load("person-1"), "member", [Noted(text="registered")],
                       meta(SECRETARY, "bob:register", keyed(phone)))
    await store.append(await store.load("person-1"), "member", [Noted(text="away")],
                       meta(SECRETARY, "bob:outflow", keyed(phone + " ")))
    await store.append(await store.load("person-2"), "member", [Noted(text="registered")],
                       meta(SECRETARY, "bob:other", keyed("{}")))

    erasure = meta(COUNTY, "alice:erase", keyed('{"reason": "PIPL"}'))
    erased = await store.append(await store.load("person-1"), "member", [Erased(reason="PIPL")], erasure)

    assert await _fingerprints(pool) == {"alice:erase": erasure.fingerprint, "bob:other": keyed("{}")}
    # The erasure's retry answers as it did, instead of being decided again (and refused: already erased).
    again = await store.append(await store.load("person-1"), "member", [Erased(reason="PIPL")], erasure)
    assert again.replayed and again.last_position == erased.last_position
    # Another person's retry records are theirs alone.
    assert await store.lookup_idempotency("bob:other", keyed("{}")) is not None


async def test_unkeyed_fingerprints_of_http_commands_are_forgotten_and_a_consumers_stay(
    store: EventStore[Noted | Erased],
) -> None:
    pool = store.pool
    funds = f"funds-credit:{uuid.uuid4()}"
    pause = "webhook-pause:s-1:0"
    written = {
        # What the HTTP edge wrote before fingerprints were keyed: "<subject>:<key>", the caller the event's actor.
        "bob:old": (SECRETARY, unkeyed('{"contact": {"phone": "13812344567"}}')),
        "alice:old": (COUNTY, unkeyed('{"national_id": "440305197508270098"}')),
        # What consumers write: their purpose and an event's id, compared again on a redelivery.
        funds: ("county_admin:policy-funds-credit@county", hashlib.sha256(b"/investment#1").hexdigest()),
        pause: ("county_admin:webhook-deliverer@county", hashlib.sha256(pause.encode()).hexdigest()),
        # What the HTTP edge writes now.
        "bob:new": (SECRETARY, keyed("{}")),
    }
    for n, (key, (actor, fingerprint)) in enumerate(written.items()):
        await store.append(await store.load(f"record-{n}"), "note", [Noted(text=key)], meta(actor, key, fingerprint))

    await install_schema(pool)  # a process of the new version starts

    assert await _fingerprints(pool) == {
        "bob:old": "unkeyed, forgotten", "alice:old": "unkeyed, forgotten",
        funds: written[funds][1], pause: written[pause][1], "bob:new": keyed("{}")}
    # A retry of a command recorded before the upgrade is refused as another request: never applied twice.
    # It says the first was applied, rather than "send a new key", which would apply it twice.
    with pytest.raises(IdempotencyKeyReused, match="was used before an upgrade for a request that was applied"):
        await store.lookup_idempotency("bob:old", keyed('{"contact": {"phone": "13812344567"}}'))
    assert await store.lookup_idempotency(funds, written[funds][1]) is not None

    # A day after the upgrade the sweep is over: what is written from then on is never touched again.
    await pool.execute("UPDATE idempotency_fingerprints_keyed SET keyed_at = now() - interval '2 days'")
    late = unkeyed("{}")
    await store.append(await store.load("record-late"), "note", [Noted(text="late")], meta(SECRETARY, "bob:late", late))
    await install_schema(pool)
    assert (await _fingerprints(pool))["bob:late"] == late
    assert await pool.fetchval("SELECT count(*) FROM idempotency_fingerprints_keyed") == 1
