"""The default setup keeps itself up (issue 15, item 1): whatever supervised process is SIGKILLed — a service, a
relay, the projector, a policy processor, the gateway, PostgreSQL, Kafka — is back within seconds without anyone
acting, and the gateway's /readyz says not ready while it is down. A start that fails stops what it started.

Why a second system: the session's system (tests/e2e/conftest.py) is started by the test harness without a
supervisor, so that the other fault tests (test_crash_recovery.py, test_outage.py, test_relay_failover.py …)
decide themselves when a killed process comes back. This one is started the way ``./gb run`` starts it
(``infra.local up``: the supervisor, which starts everything), with its own PostgreSQL and Kafka, in a data
folder beside the session's and on the session's ports + 500 (no test slot's ports, nor the one-clock test's,
lie there).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra import kafka, local, postgres, supervisor
from infra.processes import app_processes
from services.kernel import supervision
from services.kernel.settings import Settings
from services.kernel.supervision import ProcessRow
from tests.e2e.conftest import eventually, second_system_settings

PORT_OFFSET = 500
#: Its PostgreSQL listens beside its Kafka, below Linux's ephemeral port range.
PG_BESIDE_KAFKA = 3
#: Each process the issue names, once: a service, a relay, the projector, a policy processor, the gateway and the
#: infrastructure.
VICTIMS = ("membership", "membership-relay", "projector", "funds-credit", "gateway", "postgres", "kafka")
#: The longest a killed process may take to be back and the system ready again (Kafka's log recovery is the
#: slowest, on a loaded machine).
RECOVERY = 120.0


def _folder(settings: Settings) -> Path:
    return settings.data_dir.with_name(f"{settings.data_dir.name}-supervised")


def _second_system(settings: Settings) -> Settings:
    return second_system_settings(settings, "supervised", PORT_OFFSET, PG_BESIDE_KAFKA)


@pytest.fixture(scope="module")
def second_system(settings: Settings) -> Iterator[Settings]:
    if _folder(settings).exists():  # what an interrupted run left behind (its secrets go with it)
        local.down(_second_system(settings))
        shutil.rmtree(_folder(settings))
    s = _second_system(settings)
    try:
        yield s
    finally:
        local.down(s)


def _row(s: Settings, name: str) -> ProcessRow:
    table = supervision.read_table(s)
    assert table is not None, "the supervisor publishes no table"
    return next(row for row in table.processes if row.name == name)


async def _ready(gateway: httpx.AsyncClient) -> bool:
    try:
        return (await gateway.get("/readyz")).status_code == 200
    except httpx.TransportError:  # the gateway itself is down
        return False


def _nothing_runs(s: Settings) -> list[str]:
    """The components of ``s`` that still run."""
    running = [p.name for p in app_processes(s) if supervisor.app_pid(s, p.name) is not None]
    if postgres.postmaster_pid(s) is not None:
        running.append("postgres")
    if kafka.running_pid(s) is not None:
        running.append("kafka")
    if local.supervisor_pid(s) is not None:
        running.append("supervisor")
    return running


async def test_a_failed_start_stops_what_it_started(second_system: Settings) -> None:
    """The first service cannot bind its port: the start fails, and PostgreSQL, Kafka and whatever else this
    start started are stopped again — nothing is left running."""
    s = second_system
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", s.service_port("membership", 0)))
        squatter.listen()
        with pytest.raises(RuntimeError, match="the start failed and was undone: membership"):
            await asyncio.to_thread(local.up, s)
    await eventually(
        lambda: asyncio.sleep(0, result=not _nothing_runs(s)),
        timeout=60,
        what="everything the failed start started stopping",
    )


async def test_every_killed_process_comes_back_by_itself_and_readyz_is_not_ready_meanwhile(
    second_system: Settings,
) -> None:
    s = second_system
    await asyncio.to_thread(local.up, s)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{s.gateway_port}", timeout=10.0) as gateway:

        async def ready() -> bool:
            return await _ready(gateway)

        async def not_ready() -> bool:
            return not await _ready(gateway)

        await eventually(ready, timeout=RECOVERY, what="the supervised system ready")
        answer = (await gateway.get("/readyz")).json()["checks"]["processes"]
        assert set(answer) == {"postgres", "kafka", *(p.name for p in app_processes(s))}
        for name in VICTIMS:
            before = _row(s, name).restarts
            assert await asyncio.to_thread(local.kill, name, s), f"{name} was not running"
            await eventually(not_ready, timeout=10, what=f"/readyz not ready with {name} killed")
            await eventually(ready, timeout=RECOVERY, what=f"{name} back and the system ready")
            row = _row(s, name)
            assert (row.state, row.restarts, row.last_exit) == ("running", before + 1, "signal SIGKILL"), name


async def test_a_process_killed_to_stay_down_stays_down_until_started(second_system: Settings) -> None:
    """A fault test that wants nothing to come back says so (kill --keep-down); `start NAME` releases it."""
    s = second_system
    if local.supervisor_pid(s) is None:
        await asyncio.to_thread(local.up, s)
    assert await asyncio.to_thread(local.kill, "partners-router", s, keep_down=True)
    await eventually(
        lambda: asyncio.sleep(0, result=_row(s, "partners-router").state == "held"),
        what="the supervisor holding the router down",
    )
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{s.gateway_port}", timeout=10.0) as gateway:
        held = await gateway.get("/readyz")
        assert held.status_code == 503
        assert held.json()["checks"]["processes"]["partners-router"] == "held after signal SIGKILL"
        await asyncio.to_thread(local.start, "partners-router", s)
        await eventually(lambda: _ready(gateway), timeout=RECOVERY, what="ready after the start")
        assert _row(s, "partners-router").state == "running"
