"""A record on an internal event topic that is no CloudEvent of ours (a stray producer's ``not json``) is set aside
by the router — kept in the partners database's ``router_dead_letters`` — and every partner's delivery goes on.
Before, each batch holding it failed, the router exited after its last attempt, and each restart failed on it again:
no partner received anything from then on."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from services.kernel.kafka import event_producer
from services.kernel.settings import Settings
from services.kernel.topics import event_topic
from tests.e2e.conftest import eventually, member_body
from tests.e2e.test_partner_router import (
    REGISTERED,
    ROUTED_WAIT,
    created,
    establish,
    provisioned,
    read_feed,
    register_partner,
    registrations_in,
    tally,
    township_id,
    wait_until_published,
    wait_until_routed,
)


async def test_a_record_that_is_no_event_is_set_aside_and_the_partners_still_get_theirs(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
    partners_db: asyncpg.Pool,
) -> None:
    run = uuid.uuid4().hex[:8]
    partner = f"rt-poison-{run}"
    # A subscription first: the router reads its batches' records only while someone subscribes.
    await register_partner(gateway, admin_headers, partner, townships=[township_id(run, "a")],
                           event_types=[REGISTERED], personal_data="masked", types=[REGISTERED])
    await provisioned(gateway, admin_headers, partner)
    poison = f"poison-{run}".encode()
    producer = event_producer(system, "test-router-poison")
    await producer.start()
    try:
        await producer.send_and_wait(event_topic("membership"), value=b"not json", key=poison)
    finally:
        await producer.stop()

    places = await establish(gateway, admin_headers, run, ("a",), branches_each=1)
    for _ in range(3):
        await created(gateway, "/v1/members", member_body(places.branches["a"][0]), admin_headers)
    expected = await registrations_in(membership_db, places.branches["a"])
    assert len(expected) == 3

    async def delivered() -> bool:
        return not tally(await read_feed(gateway, admin_headers, partner), expected).missing
    await eventually(delivered, timeout=ROUTED_WAIT, what="the partner's events, after the poison, on its topic")
    await wait_until_published(membership_db)
    await wait_until_routed(system)  # nothing held back: the poison's offset is committed too

    kept = await partners_db.fetch('SELECT topic, "offset", reason, value FROM router_dead_letters WHERE key = $1',
                                   poison)
    assert [(r["topic"], r["value"]) for r in kept] == [(event_topic("membership"), b"not json")]
    assert kept[0]["reason"].startswith("not a Golden Bridge CloudEvent")
    result = tally(await read_feed(gateway, admin_headers, partner), expected)
    assert not result.missing and not result.unexpected, result.summary()
