"""A change of a partner's terms leaves an event recorded before it as it was (docs/partners.md): the real router,
held still (SIGSTOP) while a member is registered and the county then changes the partner's policy from ``masked`` to
``none``, routes that registration, once let go, masked — the terms it was recorded under — and the next one under
the new policy. Before, the router applied the partner's present terms to whatever it routed, so how an event
reached a partner depended on when the router came to it."""

from __future__ import annotations

import os
import signal
import uuid
from typing import Any

import asyncpg
import httpx

from infra import supervisor
from services.kernel.settings import Settings
from tests.e2e.conftest import eventually, member_body
from tests.e2e.test_partner_router import (
    REGISTERED,
    ROUTED_WAIT,
    created,
    establish,
    provisioned,
    read_feed,
    register_partner,
    township_id,
    wait_until_published,
)

ROUTER = "partners-router"


async def _routed(gateway: httpx.AsyncClient, admin: dict[str, str], partner: str,
                  members: set[str]) -> dict[str, dict[str, Any]]:
    """The partner's registrations of ``members`` on its topic, by member id, once every one is there."""
    async def arrived() -> dict[str, dict[str, Any]] | None:
        seen = {r.event["data"]["member_id"]: r.event["data"] for r in await read_feed(gateway, admin, partner)
                if r.event["type"] == REGISTERED}
        return seen if members <= set(seen) else None

    found = await eventually(arrived, timeout=ROUTED_WAIT, what=f"{sorted(members)} on {partner}'s topic", every=0.5)
    return found


async def test_an_event_recorded_before_a_change_of_policy_is_routed_by_the_policy_it_was_recorded_under(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    run = uuid.uuid4().hex[:8]
    partner, township = f"rt-terms-{run}", township_id(run, "a")
    await register_partner(gateway, admin_headers, partner, townships=[township], event_types=[REGISTERED],
                           personal_data="masked", types=[REGISTERED])
    places = await establish(gateway, admin_headers, run, ("a",), branches_each=1)
    branch = places.branches["a"][0]
    await provisioned(gateway, admin_headers, partner)
    first = await created(gateway, "/v1/members", member_body(branch, name="张三丰"), admin_headers)
    await _routed(gateway, admin_headers, partner, {first})

    router = supervisor.app_pid(system, ROUTER)
    assert router is not None, "the partner router is not running"
    os.kill(router, signal.SIGSTOP)
    try:
        before_change = await created(gateway, "/v1/members", member_body(branch, name="李四光"), admin_headers)
        await wait_until_published(membership_db)
        changed = await gateway.put(f"/v1/partners/{partner}", headers=admin_headers, json={
            "name": "某县人社局 (router test)", "contact": "0000", "personal_data": "none",
            "scope": {"event_types": [REGISTERED], "organisations": [], "townships": [township]}})
        assert changed.status_code == 201, changed.text
    finally:
        os.kill(router, signal.SIGCONT)
    after_change = await created(gateway, "/v1/members", member_body(branch, name="王五"), admin_headers)

    routed = await _routed(gateway, admin_headers, partner, {first, before_change, after_change})
    assert routed[first]["name"] == "张**"
    assert routed[before_change]["name"] == "李**", "recorded before the change: masked, as the partner's terms then"
    assert routed[after_change]["name"] is None, "recorded after the change: no personal data, as the new terms say"
