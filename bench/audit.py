"""The transparency log on the real system (bench part ``audit``; docs/audit.md, bench/README.md).

1. The log's cost on appends, before and after in one run: commands/s through the gateway (16 clients,
   ``POST /v1/branches``) with the audit-log process stopped, then with it running — the same system, the
   same minute. The log is off the write path (it reads Kafka), so its cost is the CPU it takes from the
   services on this 2-core machine.
2. Verifying: once the log holds every event (at least ``events``: the rebuild part tops the topic up to
   100,000), the auditor's CLI (``python -m auditor verify``, a subprocess) checks every entry against every
   store and every per-record chain; events/s = log entries verified / wall time of the subprocess.
3. One inclusion proof: ``GET /v1/audit/proofs/inclusion`` through the gateway, sequential, p50/p99; and the
   proof built and verified in process (``MerkleLog`` and ``verify_inclusion``) for the same tree size.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

from bench.common import latency_summary, say
from bench.system import _client, commands_per_second, wait_caught_up
from infra import supervisor
from infra.processes import get_process
from services.auditlog.contract import NAME as AUDITLOG
from services.kernel import merkle
from services.kernel.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


async def _log_size(settings: Settings) -> int:
    conn = await asyncpg.connect(settings.dsn(AUDITLOG))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM log_entries"))
    finally:
        await conn.close()


async def _stored_events(settings: Settings) -> int:
    from services import system

    total = 0
    for name in system.names():
        if name == AUDITLOG:
            continue
        conn = await asyncpg.connect(settings.dsn(name))
        try:
            total += int(await conn.fetchval("SELECT count(*) FROM events"))
        finally:
            await conn.close()
    return total


async def wait_logged(settings: Settings, timeout: float = 900.0) -> float:
    """Seconds until the log holds every stored event of the other services."""
    t0 = time.monotonic()
    while True:
        stored, logged = await _stored_events(settings), await _log_size(settings)
        if logged >= stored:
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"the log holds {logged:,} of {stored:,} events after {timeout:.0f} s")
        await asyncio.sleep(0.5)


async def cost_on_appends(settings: Settings, clients: int, seconds: float) -> dict[str, Any]:
    supervisor.stop_app(settings, AUDITLOG)
    try:
        say(f"commands/s without the audit log ({clients} clients, {seconds:g} s)…")
        without = await commands_per_second(settings, clients, seconds)
        await wait_caught_up(settings, "after commands without the log")
    finally:
        supervisor.start_app(get_process(AUDITLOG, settings), settings)
    catch_up = await wait_logged(settings)
    say(f"the restarted log caught up in {catch_up:.1f} s; commands/s with the audit log…")
    with_log = await commands_per_second(settings, clients, seconds)
    await wait_caught_up(settings, "after commands with the log")
    return {"without_log": without, "with_log": with_log, "restart_catch_up_s": round(catch_up, 2),
            "ratio_with_over_without": with_log["commands_per_s"] / without["commands_per_s"]}


async def verify_all(settings: Settings) -> dict[str, Any]:
    await wait_logged(settings)
    async with _client(settings) as client:
        key = (await client.get("/v1/audit/keys")).json()["public_key"]
    with tempfile.TemporaryDirectory() as state:
        t0 = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "auditor", "--public-key", key, "--state", state, "verify",
            "--url", f"http://127.0.0.1:{settings.gateway_port}", "--token", settings.admin_token,
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        elapsed = time.perf_counter() - t0
    summary = out.decode().strip()
    if process.returncode != 0:
        raise RuntimeError(f"the verifier exited {process.returncode}: {summary} {err.decode()[-2000:]}")
    entries = int(summary.split(": ", 1)[1].split(" log entries", 1)[0])
    say(f"verified {entries:,} log entries in {elapsed:.1f} s: {entries / elapsed:,.0f} events/s ({summary})")
    return {"entries": entries, "seconds": round(elapsed, 2), "events_per_s": entries / elapsed, "summary": summary}


async def inclusion_proof(settings: Settings, requests: int = 200) -> dict[str, Any]:
    conn = await asyncpg.connect(settings.dsn(AUDITLOG))
    try:
        size = int(await conn.fetchval("SELECT count(*) FROM log_entries"))
        rows = await conn.fetch("SELECT source, event_id FROM log_entries WHERE idx = ANY($1::bigint[])",
                                [random.randrange(size) for _ in range(requests)])
        leaves = [bytes(r["leaf_hash"]) for r in await conn.fetch("SELECT leaf_hash FROM log_entries ORDER BY idx")]
    finally:
        await conn.close()
    source_names = {f"/golden-bridge/{n}": n for n in ("membership", "secondment", "investment", "partners")}
    timings: list[float] = []
    async with _client(settings) as client:
        headers = {"Authorization": f"Bearer {settings.admin_token}"}
        for row in rows:
            t0 = time.perf_counter()
            answer = await client.get("/v1/audit/proofs/inclusion", headers=headers, params={
                "event_id": str(row["event_id"]), "service": source_names[row["source"]], "tree_size": size})
            timings.append(time.perf_counter() - t0)
            if answer.status_code != 200:
                raise RuntimeError(f"inclusion proof: {answer.status_code} {answer.text}")
    tree = merkle.MerkleLog(leaves)
    root = tree.root()
    local: list[float] = []
    for _ in range(requests):
        index = random.randrange(size)
        t0 = time.perf_counter()
        proof = tree.inclusion_proof(index, size)
        assert merkle.verify_inclusion(leaves[index], index, size, proof, root)
        local.append(time.perf_counter() - t0)
    http = latency_summary(timings)
    say(f"inclusion proof at tree size {size:,}: through the gateway p50 {http.get('p50_ms')} ms, "
        f"built and verified in process p50 {latency_summary(local).get('p50_ms')} ms")
    return {"tree_size": size, "http": http, "in_process": latency_summary(local)}


async def measure(settings: Settings, clients: int, seconds: float) -> dict[str, Any]:
    return {"cost": await cost_on_appends(settings, clients, seconds), "verify": await verify_all(settings),
            "inclusion": await inclusion_proof(settings)}


def note(result: dict[str, Any]) -> str:
    cost, verify, inclusion = result["cost"], result["verify"], result["inclusion"]
    return (f"Audit log (bench/audit.py): commands/s {cost['without_log']['commands_per_s']:,.0f} with the audit-log "
            f"process stopped, {cost['with_log']['commands_per_s']:,.0f} with it running "
            f"({cost['ratio_with_over_without']:.2f}×), same run; the restarted log caught up in "
            f"{cost['restart_catch_up_s']} s. `python -m auditor verify` checked {verify['entries']:,} log entries "
            f"against every store and chain in {verify['seconds']} s ({verify['events_per_s']:,.0f} events/s). "
            f"One inclusion proof at tree size {inclusion['tree_size']:,}: p50 {inclusion['http'].get('p50_ms')} ms "
            f"through the gateway, {inclusion['in_process'].get('p50_ms')} ms built and verified in process.")
