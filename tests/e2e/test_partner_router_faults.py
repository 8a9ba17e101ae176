"""The partner router and the webhook deliverer under faults: SIGKILLs of both and an agent exception
during a load lose nothing, and a duplicate is always the same CloudEvent — checked against the
membership store, on two partners' Kafka topics and at a third partner's webhook sink. And the guard is
what makes the exception harmless: the same exception in a router run the plain faust way loses events.

The router is the system's own process (infra/processes.py ``partners-router``), killed with SIGKILL and
started again by infra.supervisor; the exception is injected with GB_FAULT_ROUTER_RAISE_AT, the guard
switched off with GB_ROUTER_UNGUARDED (both development-only switches of services/partners/router.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import asyncpg
import httpx

from infra import supervisor
from infra.processes import AppProcess, get_process
from services.kernel.settings import Settings
from tests.e2e.conftest import eventually, member_body
from tests.e2e.test_partner_router import (
    REGISTERED,
    Places,
    Tally,
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
from tests.e2e.test_partner_webhooks import Sink, _handler

ROUTER = "partners-router"
DELIVERER = "partners-webhooks"
LOAD = 2000
CLIENTS = 16
#: Registrations a second: the load lasts ~50 s, long enough for three restarts (each stalls ~10 s).
RATE = 40.0
#: The restarted router raises at the n-th event it routes: well inside the redelivered backlog and the load.
RAISE_AT = 150
#: Until the router's group has caught up after the load (each SIGKILL stalls the restart ~10 s).
SETTLE = 240.0


def _router(settings: Settings, **env: str) -> AppProcess:
    process = get_process(ROUTER, settings)
    return dataclasses.replace(process, env={**process.env, **env})


class RouterLog:
    """The router's log from a moment on (the runner appends every start to one file)."""

    def __init__(self, settings: Settings) -> None:
        self.path: Path = supervisor.log_file(settings, ROUTER)
        self.start = self.path.stat().st_size if self.path.exists() else 0

    def text(self) -> str:
        with self.path.open("rb") as f:
            f.seek(self.start)
            return f.read().decode(errors="replace")

    async def shows(self, needle: str, what: str, timeout: float = 90.0) -> None:
        await eventually(lambda: asyncio.sleep(0, result=needle in self.text()), timeout=timeout, what=what, every=0.2)


async def load(gateway: httpx.AsyncClient, admin: dict[str, str], branches: list[str], count: int,
               done: list[int], rate: float = RATE) -> None:
    """``count`` member registrations spread over ``branches`` by CLIENTS concurrent clients, ``rate`` a
    second at most (so that the router's restarts fall inside the load)."""
    loop = asyncio.get_running_loop()
    start, issued = loop.time(), itertools.count()
    targets = itertools.cycle(branches)

    async def client() -> None:
        while (n := next(issued)) < count:
            await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
            response = await gateway.post("/v1/members", json=member_body(next(targets), name="王小明"),
                                          headers=admin)
            assert response.status_code == 201, response.text
            done[0] += 1

    await asyncio.gather(*(client() for _ in range(CLIENTS)))


async def when(done: list[int], at: int, running: asyncio.Task[None]) -> None:
    await eventually(lambda: asyncio.sleep(0, result=done[0] >= at or running.done()), timeout=SETTLE,
                     what=f"{at} registrations")


async def two_partners(gateway: httpx.AsyncClient, admin: dict[str, str], run: str,
                       letters: tuple[str, str]) -> tuple[dict[str, str], Places]:
    """One partner per township (policies none and masked), each subscribed to registrations."""
    partners = {}
    for letter, policy in zip(letters, ("none", "masked"), strict=True):
        partner = f"rf-{letter}-{run}"
        await register_partner(gateway, admin, partner, townships=[township_id(run, letter)],
                               event_types=[REGISTERED], personal_data=policy, types=[REGISTERED])
        partners[letter] = partner
    places = await establish(gateway, admin, run, letters)
    for partner in partners.values():
        await provisioned(gateway, admin, partner)
    return partners, places


async def check_feeds(gateway: httpx.AsyncClient, admin: dict[str, str], db: asyncpg.Pool,
                      partners: dict[str, str], places: Places) -> dict[str, Tally]:
    results = {}
    for letter, partner in partners.items():
        result = tally(await read_feed(gateway, admin, partner), await registrations_in(db, places.branches[letter]))
        print(f"{partner}: {result.summary()}")
        if result.duplicates:
            print(f"  duplicated ids (times delivered): {sorted(result.duplicates.items())}")
        results[partner] = result
    return results


@contextmanager
def webhook_sink() -> Iterator[Sink]:
    """A partner's HTTP server on 127.0.0.1 that verifies every delivery with ``standardwebhooks``."""
    receiver = Sink()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    threading.Thread(target=server.serve_forever, name="fault-sink", daemon=True).start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


async def webhook_partner(gateway: httpx.AsyncClient, admin: dict[str, str], run: str, township: str,
                          sink: Sink) -> str:
    """A third partner, scoped like partner b, receiving registrations by webhook; returns its hook name."""
    partner = f"rf-w-{run}"
    await register_partner(gateway, admin, partner, townships=[township], event_types=[REGISTERED],
                           personal_data="masked", types=[REGISTERED])
    answer = await gateway.post("/v1/subscriptions", headers=admin, json={
        "partner_id": partner, "protocol": "HTTP", "sink": f"{sink.url}/{partner}", "types": [REGISTERED]})
    assert answer.status_code == 201, answer.text
    secret = await gateway.get(f"/v1/subscriptions/{answer.json()['id']}/secret", headers=admin)
    assert secret.status_code == 200, secret.text
    sink.secrets[partner] = secret.json()["secret"]
    return partner


async def test_sigkills_and_an_agent_exception_during_a_load_lose_nothing_and_duplicate_only_same_ids(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    with webhook_sink() as sink:
        await _faults(system, gateway, admin_headers, membership_db, sink)


async def _faults(system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str],
                  membership_db: asyncpg.Pool, sink: Sink) -> None:
    run = uuid.uuid4().hex[:8]
    partners, places = await two_partners(gateway, admin_headers, run, ("a", "b"))
    hook = await webhook_partner(gateway, admin_headers, run, township_id(run, "b"), sink)
    done = [0]
    branches = [*places.branches["a"], *places.branches["b"]]
    loop = asyncio.get_running_loop()
    began = loop.time()
    running = asyncio.create_task(load(gateway, admin_headers, branches, LOAD, done))
    timeline: list[str] = []

    def restart(process: AppProcess) -> RouterLog:
        supervisor.kill_app(system, ROUTER)
        timeline.append(f"{loop.time() - began:5.1f} s  SIGKILL at {done[0]} registrations"
                        f"{'' if running.done() else ' (load running)'}")
        log = RouterLog(system)
        supervisor.start_app(process, system)
        return log

    def kill_deliverer() -> None:
        supervisor.kill_app(system, DELIVERER)
        timeline.append(f"{loop.time() - began:5.1f} s  SIGKILL of the webhook deliverer at {done[0]} registrations"
                        f"{'' if running.done() else ' (load running)'}")
        supervisor.start_app(get_process(DELIVERER, system), system)

    as_usual = False
    try:
        # 1. SIGKILL mid-load, restart as usual.
        await when(done, 300, running)
        log = restart(get_process(ROUTER, system))
        await log.shows("Worker]: Ready", "the restarted router at work")
        timeline.append(f"{loop.time() - began:5.1f} s  router ready again")
        await when(done, 500, running)
        kill_deliverer()
        # 2. SIGKILL, restart with an exception injected in the middle of a batch: the guard tries it again.
        await when(done, 800, running)
        fault_log = restart(_router(system, GB_FAULT_ROUTER_RAISE_AT=str(RAISE_AT)))
        await fault_log.shows("failed at attempt 1/", "the injected exception, caught by the guard")
        timeline.append(f"{loop.time() - began:5.1f} s  injected exception caught at {done[0]} registrations")
        await fault_log.shows("delivered at attempt 2", "the failed batch delivered when tried again")
        await when(done, 1100, running)
        kill_deliverer()
        # 3. SIGKILL again, restart as usual (the router is left as the system runs it).
        await when(done, 1400, running)
        restart(get_process(ROUTER, system))
        as_usual = True
        await running
        timeline.append(f"{loop.time() - began:5.1f} s  load done")
    finally:
        if not running.done():
            running.cancel()
        if not as_usual:
            supervisor.kill_app(system, ROUTER)
            supervisor.start_app(get_process(ROUTER, system), system)
    print("\n".join(["", *timeline]))
    assert done[0] == LOAD
    assert "exiting now" not in fault_log.text(), "the guard gave up"
    assert sum("(load running)" in t and "deliverer" not in t for t in timeline) >= 2, \
        "fewer than two SIGKILLs of the router fell inside the load"
    assert sum("(load running)" in t and "deliverer" in t for t in timeline) >= 1, \
        "no SIGKILL of the webhook deliverer fell inside the load"

    await wait_until_published(membership_db)
    await wait_until_routed(system, timeout=SETTLE)
    results = await check_feeds(gateway, admin_headers, membership_db, partners, places)
    for partner, result in results.items():
        assert not result.missing, f"{partner}: {len(result.missing)} events in scope never reached the topic"
        assert not result.unexpected, f"{partner}: out-of-scope events {sorted(result.unexpected)[:5]}"
        assert not result.inconsistent, f"{partner}: a duplicate differs from its original"
    await check_webhooks(sink, hook, await registrations_in(membership_db, places.branches["b"]))


async def check_webhooks(sink: Sink, hook: str, expected: set[str]) -> None:
    """Every in-scope event reached the sink, verified, nothing else did, in order, and a repeat is the same
    CloudEvent with the same webhook-id."""
    await eventually(lambda: asyncio.sleep(0, result={r.event["id"] for r in sink.delivered(hook)} >= expected),
                     timeout=SETTLE, what="every in-scope event at the webhook sink", every=0.2)
    delivered = sink.delivered(hook)
    ids = [r.event["id"] for r in delivered]
    repeats = {i: n for i, n in Counter(ids).items() if n > 1}
    print(f"{hook}: {len(delivered)} deliveries, {len(set(ids))} events, {len(repeats)} delivered more than once")
    assert all(r.verified for r in sink.received(hook)), "a delivery did not verify with standardwebhooks"
    assert set(ids) == expected, f"out of scope at the sink: {sorted(set(ids) - expected)[:5]}"
    assert all(r.webhook_id == r.event["id"] for r in delivered)
    first: dict[str, dict[str, object]] = {}
    for r in delivered:
        # The router may have written the event twice (its SIGKILLs): the copies differ only in their
        # position in the partner topic; the CloudEvent itself is the same.
        event = {k: v for k, v in r.event.items() if k != "position"}
        original = first.setdefault(r.event["id"], {**event, "position": r.event["position"]})
        assert {k: v for k, v in original.items() if k != "position"} == event, "a repeat differs from its original"
    positions = [first[i]["position"] for i in dict.fromkeys(ids)]
    assert positions == sorted(positions, key=int), "first deliveries out of the partner topic's order"


async def test_without_the_guard_the_same_agent_exception_loses_events(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    run = uuid.uuid4().hex[:8]
    partners, places = await two_partners(gateway, admin_headers, run, ("c", "d"))
    supervisor.stop_app(system, ROUTER)
    log = RouterLog(system)
    supervisor.start_app(_router(system, GB_ROUTER_UNGUARDED="1", GB_FAULT_ROUTER_RAISE_AT=str(RAISE_AT)), system)
    try:
        done = [0]
        await load(gateway, admin_headers, [*places.branches["c"], *places.branches["d"]], 600, done)
        await log.shows("InjectedFault", "the injected exception in the unguarded router")
        await wait_until_published(membership_db)
        await wait_until_routed(system, timeout=SETTLE)
    finally:
        # The usual router, guarded, from the group's committed offsets: what the unguarded one skipped
        # stays skipped.
        supervisor.stop_app(system, ROUTER)
        supervisor.start_app(get_process(ROUTER, system), system)
    await wait_until_routed(system, timeout=SETTLE)
    results = await check_feeds(gateway, admin_headers, membership_db, partners, places)
    lost = sum(len(r.missing) for r in results.values())
    print(f"without the guard: {lost} of 600 events lost after one exception")
    assert lost > 0, "the unguarded router lost nothing: the guard would not be needed (see the decision record)"
    assert not any(r.unexpected or r.inconsistent for r in results.values())
