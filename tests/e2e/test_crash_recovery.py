"""SIGKILL the relay and the projector while 1,000 commands are in flight; nothing is lost or doubled."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from infra import supervisor
from infra.processes import get_process
from services.kernel.settings import Settings
from services.membership.contract.events import REGISTRY as MEMBERSHIP
from tests.e2e.conftest import branch_body, eventually, member_body, rebuilt_schema

COMMANDS = 1000
CONCURRENCY = 32
VIEWS = {"branches_view": "branch_id", "members_view": "member_id"}


async def _snapshot(pool: asyncpg.Pool, schema: str) -> dict[str, list[tuple[object, ...]]]:
    return {
        view: [tuple(r) for r in await pool.fetch(f'SELECT * FROM "{schema}".{view} ORDER BY {key}')]
        for view, key in VIEWS.items()
    }


async def test_killing_relay_and_projector_mid_flight_loses_and_doubles_nothing(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str],
    membership_db: asyncpg.Pool, read_db: asyncpg.Pool,
) -> None:
    branch_id = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()["id"]
    accepted: list[str] = []
    sent = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(COMMANDS):
        queue.put_nowait(i)

    async def client() -> None:
        nonlocal sent
        while not queue.empty():
            i = queue.get_nowait()
            headers = {**admin_headers, "Idempotency-Key": f"crash-{branch_id}-{i}"}
            response = await gateway.post("/v1/members", json=member_body(branch_id, name=f"Member {i}"),
                                          headers=headers)
            assert response.status_code == 201, response.text
            accepted.append(response.json()["id"])
            sent += 1

    async def chaos() -> None:
        await eventually(lambda: asyncio.sleep(0, result=sent >= COMMANDS // 5), what="first fifth accepted")
        supervisor.kill_app(system, "membership-relay")
        supervisor.kill_app(system, "projector")
        await eventually(lambda: asyncio.sleep(0, result=sent >= COMMANDS // 2), what="half accepted")
        supervisor.start_app(get_process("membership-relay", system), system)
        supervisor.start_app(get_process("projector", system), system)

    await asyncio.gather(chaos(), *(client() for _ in range(CONCURRENCY)))
    assert len(accepted) == len(set(accepted)) == COMMANDS

    stored = await membership_db.fetch(
        "SELECT stream_id, count(*) AS n FROM events WHERE stream_id = ANY($1::text[]) GROUP BY stream_id", accepted
    )
    assert len(stored) == COMMANDS and all(r["n"] == 1 for r in stored), "every command's event stored once"

    await eventually(
        lambda: read_db.fetchval(
            "SELECT members = $2 FROM branches_with_counts WHERE branch_id = $1", branch_id, COMMANDS
        ),
        timeout=120, what="the read model counting every member",
    )
    in_view = await read_db.fetchval("SELECT count(*) FROM members_view WHERE formal_org_id = $1", branch_id)
    assert in_view == COMMANDS

    await eventually(lambda: membership_db.fetchval("SELECT count(*) = 0 FROM outbox"), what="outbox drained")
    total = await membership_db.fetchval("SELECT count(*) FROM events")
    await eventually(lambda: read_db.fetchval("SELECT count(*) = $1 FROM applied_events WHERE source = $2", total,
                                              MEMBERSHIP.source),
                     timeout=120, what="the live read models applying every stored event")

    schema = rebuilt_schema(system)
    live, rebuilt = await _snapshot(read_db, "public"), await _snapshot(read_db, schema)
    assert live == rebuilt
    await read_db.execute(f'DROP SCHEMA "{schema}" CASCADE')
