"""The whole system: commands through the gateway, command-to-read-model latency, rebuild rate.

The app processes are started with infra.supervisor exactly as tests/e2e/conftest.py does (and
stopped again afterwards), unless the caller says the system is already running.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx

from bench import cpu
from bench.common import ROOT, latency_summary, say
from infra import supervisor
from infra.processes import app_processes
from services import system
from services.kernel import logs
from services.kernel.kafka import event_consumer, topic_partitions
from services.kernel.projection import lag
from services.kernel.settings import Settings
from services.kernel.store import CommandMeta, EventStore, Stream
from services.membership.contract.events import REGISTRY, BranchEstablished, BuildMode, FoundingBasis

TOPICS = system.topics()
SOURCE = REGISTRY.source
REBUILD_SCHEMA = "bench_rebuild"


# --------------------------------------------------------------------------- processes


def start_system(settings: Settings) -> list[str]:
    """Start every app process that is not running yet; return the names this call started."""
    started: list[str] = []
    try:
        for process in app_processes(settings):
            if supervisor.app_pid(settings, process.name) is not None:
                say(f"{process.name} already running; left as it is")
                continue
            supervisor.start_app(process, settings)
            started.append(process.name)
    except Exception:
        stop_system(settings, started)
        raise
    say(f"system up: started {', '.join(started) or 'nothing'}")
    return started


def stop_system(settings: Settings, started: list[str]) -> None:
    for name in reversed(started):
        try:
            supervisor.stop_app(settings, name)
        except Exception as exc:  # keep stopping the others
            say(f"WARNING: stopping {name} failed: {exc}")


# --------------------------------------------------------------------------- HTTP helpers


def branch_body(**overrides: Any) -> dict[str, Any]:
    """The body the e2e tests send to POST /v1/branches (tests/e2e/conftest.py)."""
    body = {
        "name": f"Shenzhen Branch {uuid.uuid4().hex[:6]}",
        "founding_basis": "locality",
        "build_mode": "standalone",
        "home_org_id": "township-qiaotou",
        "host_guidance_org": "Longhua street Party committee",
        "destination": "Shenzhen, Guangdong",
        "industry": "construction",
        "established_on": "2026-03-01",
    }
    body.update(overrides)
    return body


def _client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.gateway_port}", timeout=30.0,
                             headers={"Authorization": f"Bearer {settings.admin_token}"})


def _command_headers() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


# --------------------------------------------------------------------------- projection progress


class LagProbe:
    """Events on Kafka the live projector (schema public) has not applied yet; one consumer, reused."""

    def __init__(self, settings: Settings, schema: str = "public") -> None:
        self.settings = settings
        self.schema = schema

    async def __aenter__(self) -> LagProbe:
        self.pool = await asyncpg.create_pool(self.settings.dsn(system.READ_MODEL_DATABASE), min_size=1, max_size=1)
        self.consumer = event_consumer(self.settings, "gb-bench-lag")
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()
        await self.pool.close()

    async def lag(self) -> int:
        return await lag(self.pool, self.consumer, TOPICS, self.schema)


async def projection_lag(settings: Settings) -> int:
    async with LagProbe(settings) as probe:
        return await probe.lag()


async def wait_caught_up(settings: Settings, what: str, timeout: float = 900.0) -> dict[str, float]:
    """Wait until every relay's outbox is empty and the live projector has applied everything.

    Returns the seconds until the outbox was first seen empty (relay done) and until caught up.
    """
    t0 = time.monotonic()
    last_report = t0
    relay_done: float | None = None
    stores = [await asyncpg.connect(settings.dsn(s)) for s in system.names()]
    try:
        async with LagProbe(settings) as probe:
            while True:
                outbox = sum([await store.fetchval("SELECT count(*) FROM outbox") for store in stores])
                behind = await probe.lag() if outbox == 0 else None
                if outbox == 0 and relay_done is None:
                    relay_done = time.monotonic() - t0
                if outbox == 0 and behind == 0:
                    done = time.monotonic() - t0
                    return {"relay_done_s": round(relay_done or done, 3), "caught_up_s": round(done, 3)}
                now = time.monotonic()
                if now - t0 > timeout:
                    raise TimeoutError(f"{what}: not caught up after {timeout:.0f} s (outbox {outbox}, lag {behind})")
                if now - last_report > 10:
                    say(f"  waiting ({what}): outbox {outbox} rows, projector lag {behind} events")
                    last_report = now
                await asyncio.sleep(0.2)
    finally:
        for store in stores:
            await store.close()


async def topic_events(settings: Settings) -> int:
    """Records on the event topics (end minus beginning offsets, all partitions)."""
    consumer = event_consumer(settings, "gb-bench-count")
    await consumer.start()
    try:
        partitions = [tp for t in TOPICS for tp in await topic_partitions(consumer, t)]
        begin = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
        return sum(end[tp] - begin[tp] for tp in partitions)
    finally:
        await consumer.stop()


# --------------------------------------------------------------------------- 3a: commands/s


async def commands_per_second(settings: Settings, clients: int, seconds: float,
                              warmup_seconds: float = 0.0) -> dict[str, Any]:
    """``clients`` concurrent clients, each its own httpx client, POST /v1/branches back to back: ``warmup_seconds``
    of it measured apart (``warm_up``), then the window of ``seconds``."""
    idle = cpu.memory(settings)
    warm_up = await warm(lambda: _client(settings), clients, warmup_seconds, lambda: cpu.snapshot(settings))
    under_load: dict[str, Any] = {}

    def meter() -> dict[str, float]:
        # Called at the start and at the end of the measured window: the second call sees the system loaded.
        under_load.update(cpu.memory(settings))
        return cpu.snapshot(settings)

    result = await post_load(lambda: _client(settings), clients, seconds, meter=meter)
    result["memory"] = {"idle": idle, "under_load": under_load}
    if warm_up:
        result["warm_up"] = warm_up
    behind = await projection_lag(settings)
    result["projector_lag_at_end"] = behind
    post = result["post_latency"]
    say(f"commands through the gateway, {clients} clients: {result['commands_per_s']:,.0f} commands/s "
        f"(POST p50 {post.get('p50_ms')} ms, p99 {post.get('p99_ms')} ms; "
        f"statuses {result['statuses']}; projector lag at the end {behind})")
    return result


async def warm(client: Callable[[], httpx.AsyncClient], clients: int, seconds: float,
               meter: Callable[[], dict[str, float]]) -> dict[str, Any] | None:
    """The load of 3a for ``seconds`` before a measured window, with its own rate and CPU per command (a cold
    system's: the report shows it beside the window's); None for no warm-up."""
    if seconds <= 0:
        return None
    result = await post_load(client, clients, seconds, warmup=0.0, meter=meter)
    say(f"warm-up, {seconds:g} s: {result['commands_per_s']:,.0f}/s, "
        f"{result.get('cpu', {}).get('total_ms_per_unit', '?')} ms of CPU each")
    return {"seconds": result["seconds"], "commands_per_s": result["commands_per_s"], "cpu": result.get("cpu")}


async def post_load(client: Callable[[], httpx.AsyncClient], clients: int, seconds: float,
                    warmup: float = 2.0, meter: Callable[[], dict[str, float]] | None = None) -> dict[str, Any]:
    """The load of 3a against any server: ``clients`` concurrent clients (one ``client()`` each) POST
    /v1/branches with a fresh body and Idempotency-Key back to back; 201s per second and POST latency, and with
    ``meter`` (CPU seconds per part, bench/cpu.py) each part's CPU per command over the measured window."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    t0 = time.perf_counter()
    measure_from = t0 + warmup
    deadline = measure_from + seconds

    async def one_client() -> None:
        async with client() as http:
            while True:
                started = time.perf_counter()
                if started >= deadline:
                    return
                response = await http.post("/v1/branches", json=branch_body(), headers=_command_headers())
                if started >= measure_from:
                    statuses[response.status_code] += 1
                    latencies.append(time.perf_counter() - started)

    async def metered() -> dict[str, float]:
        await asyncio.sleep(max(measure_from - time.perf_counter(), 0))
        return meter() if meter else {}

    started_cpu = asyncio.ensure_future(metered())
    await asyncio.gather(*(one_client() for _ in range(clients)))
    elapsed = time.perf_counter() - measure_from
    ok = statuses.get(201, 0)
    result = {"clients": clients, "seconds": round(elapsed, 3), "commands": ok, "commands_per_s": ok / elapsed,
              "statuses": {str(k): v for k, v in sorted(statuses.items())}, "post_latency": latency_summary(latencies)}
    if meter is not None and ok:
        result["cpu"] = cpu.per_unit(await started_cpu, meter(), ok)
    return result


# --------------------------------------------------------------------------- 3b: visibility latency


async def visibility_latency(settings: Settings, commands: int, mode: str) -> dict[str, Any]:
    """Sequential commands; time from sending the POST until the branch is readable.

    mode "min_position": one GET with min_position=<position> (the gateway waits);
    mode "polling": GET without min_position every ~1 ms until it stops answering 404.
    """
    post_times: list[float] = []
    visible: list[float] = []
    failures: Counter[str] = Counter()
    polls = 0
    async with _client(settings) as client:
        for _ in range(commands):
            t0 = time.perf_counter()
            response = await client.post("/v1/branches", json=branch_body(), headers=_command_headers())
            t_post = time.perf_counter()
            if response.status_code != 201:
                failures[f"POST {response.status_code}"] += 1
                continue
            accepted = response.json()
            url = f"/v1/branches/{accepted['id']}"
            if mode == "min_position":
                got = await client.get(url, params={"min_position": accepted["position"]})
                if got.status_code != 200:
                    failures[f"GET {got.status_code}"] += 1
                    continue
            else:
                while True:
                    got = await client.get(url)
                    polls += 1
                    if got.status_code == 200:
                        break
                    if got.status_code != 404 or time.perf_counter() - t0 > 30:
                        failures[f"GET {got.status_code}"] += 1
                        break
                    await asyncio.sleep(0.001)
                if got.status_code != 200:
                    continue
            visible.append(time.perf_counter() - t0)
            post_times.append(t_post - t0)
    v, p = latency_summary(visible), latency_summary(post_times)
    result: dict[str, Any] = {"mode": mode, "commands": commands, "visible": v, "post": p,
                              "failures": dict(failures)}
    if mode == "polling":
        result["gets_per_command"] = round(polls / max(1, len(visible)), 1)
    say(f"command → read model ({mode}): p50 {v.get('p50_ms')} ms, p99 {v.get('p99_ms')} ms, "
        f"max {v.get('max_ms')} ms (POST alone p50 {p.get('p50_ms')} ms; failures {dict(failures)})")
    return result


# --------------------------------------------------------------------------- 4: load, then rebuild


async def load_membership_events(settings: Settings, count: int, concurrency: int = 512) -> dict[str, Any]:
    """Append ``count`` BranchEstablished events straight into gb_membership with the kernel EventStore.

    Many concurrent appends, so the store's group commit writes them ~256 per transaction; the
    running relay publishes them to Kafka and the live projector applies them.
    """
    pool = await asyncpg.create_pool(settings.dsn("membership"), min_size=2, max_size=4)
    store: EventStore[Any] = EventStore(pool, REGISTRY)
    await store.start()
    remaining = [count]
    today = datetime.now(UTC)

    async def writer() -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            branch_id = str(uuid.uuid4())
            event = BranchEstablished(
                branch_id=branch_id, name=f"Bench Branch {branch_id[:8]}", founding_basis=FoundingBasis.LOCALITY,
                build_mode=BuildMode.STANDALONE, home_org_id="township-bench",
                host_guidance_org="Longhua street Party committee", destination="Shenzhen, Guangdong",
                industry="construction", established_on=date(2026, 3, 1),
            )
            meta = CommandMeta(actor="bench-loader", occurred_at=today, correlation_id=str(uuid.uuid4()))
            await store.append(Stream(stream_id=branch_id), "branch", [event], meta)

    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(writer() for _ in range(concurrency)))
    finally:
        await store.stop()
        await pool.close()
    elapsed = time.perf_counter() - t0
    say(f"loaded {count:,} BranchEstablished events into gb_membership in {elapsed:.1f} s "
        f"({count / elapsed:,.0f} events/s)")
    return {"events": count, "seconds": round(elapsed, 3), "events_per_s": count / elapsed}


_LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def _log_time(line: str) -> float | None:
    entry = logs.parse(line)  # the processes log JSON lines (services/kernel/logs.py)
    if entry is not None and isinstance(entry.get("ts"), str):
        return datetime.fromisoformat(entry["ts"]).timestamp()
    match = _LOG_TIME.match(line)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()


async def rebuild(settings: Settings) -> dict[str, Any]:
    """``python -m services.gateway.projector --rebuild --schema bench_rebuild``, timed from outside."""
    in_topic = await topic_events(settings)
    waited = await cpu.settled(settings)
    say(f"rebuild: the other consumers (audit log, partner router) idle after {waited:.0f} s")
    argv = [sys.executable, "-m", "services.gateway.projector", "--rebuild", "--schema", REBUILD_SCHEMA]
    log_path = supervisor.log_dir(settings) / "bench-rebuild.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    say(f"rebuilding into schema {REBUILD_SCHEMA} from {in_topic:,} events on Kafka (log: {log_path})")
    cpu_before = cpu.snapshot(settings)
    t0 = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=ROOT, env=supervisor.child_env(settings),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    output, _ = await proc.communicate()
    wall = time.perf_counter() - t0
    # The rebuild's own process ("subprocesses", once it has exited) beside PostgreSQL and Kafka: on a machine whose
    # cores they share, what the three spend together bounds the rate.
    cpu_seconds = cpu.spent(cpu_before, cpu.snapshot(settings))
    text = output.decode(errors="replace")
    log_path.write_text(text)
    if proc.returncode != 0:
        raise RuntimeError(f"rebuild exited with {proc.returncode}; last lines:\n{text[-3000:]}")
    conn = await asyncpg.connect(settings.dsn(system.READ_MODEL_DATABASE))
    try:
        applied = await conn.fetchval(f'SELECT count(*) FROM "{REBUILD_SCHEMA}".applied_events')
        branches = await conn.fetchval(f'SELECT count(*) FROM "{REBUILD_SCHEMA}".branches_view')
        await conn.execute(f'DROP SCHEMA IF EXISTS "{REBUILD_SCHEMA}" CASCADE')
    finally:
        await conn.close()
    # The projector logs when it has assigned its partitions and when it is done; the span between
    # is the projecting itself (it stops at the end offsets it read at the start, without waiting).
    started = finished = None
    for line in text.splitlines():
        if "into schema" in line and "partitions" in line:
            started = _log_time(line)
        elif line.find("projected ") >= 0 and "events into schema" in line:
            finished = _log_time(line)
    projecting = (finished - started) if started and finished else None
    result = {
        "events_in_topic": in_topic, "events_applied": applied, "branches_in_rebuilt_view": branches,
        "wall_seconds": round(wall, 3), "events_per_s": applied / wall,
        "projecting_seconds": round(projecting, 3) if projecting else None,
        "events_per_s_projecting": applied / projecting if projecting else None,
        "cpu_seconds": cpu_seconds,
        # When the projector was started (time.perf_counter): what the growth curve's times count from, after the
        # wait above for the other consumers to settle.
        "started_at": t0,
    }
    say(f"rebuild: {applied:,} events applied in {wall:.1f} s wall = {result['events_per_s']:,.0f} events/s"
        + (f" ({result['events_per_s_projecting']:,.0f} events/s between the projector's own log lines)"
           if projecting else ""))
    return result
