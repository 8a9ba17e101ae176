"""The ceiling of the command path (issue 14): the same load as 3a against a bare FastAPI/uvicorn app that does
one asyncpg INSERT per request (bench/bare_app.py), started here as its own process, in the same run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

import httpx

from bench import cpu
from bench.common import ROOT, drop_database, recreate_database, say
from bench.system import post_load, warm
from infra.processes import UVICORN_NO_PROXY, UVICORN_SPEED_FLAGS
from services.kernel.settings import Settings

BARE_DB = "gb_bench_bare"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the bare app exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"the bare app did not listen on {port} within {timeout:.0f} s")


def _bare_cpu(settings: Settings, pid: int) -> dict[str, float]:
    """The bare stack's parts only: its app, PostgreSQL and the client (the idle system beside it is left out)."""
    seen = cpu.snapshot(settings, {"bare app": pid})
    return {name: seen[name] for name in ("bare app", "postgres", "client") if name in seen}


async def bare_commands(settings: Settings, clients: int, seconds: float,
                        warmup_seconds: float = 0.0) -> dict[str, Any]:
    """Commands/s and POST latency of the bare stack under the 3a load (one uvicorn worker, as each service)."""
    await recreate_database(settings.admin_dsn, BARE_DB)
    port = _free_port()
    env = {**os.environ, "GB_BENCH_BARE_DSN": settings.dsn(BARE_DB.removeprefix("gb_")),
           "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--host", "127.0.0.1", "--port", str(port),
            *UVICORN_SPEED_FLAGS, *UVICORN_NO_PROXY, "--log-level", "warning"]
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    try:
        _wait_listening(port, process)
        def client() -> httpx.AsyncClient:
            return httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30.0)

        warm_up = await warm(client, clients, warmup_seconds, lambda: _bare_cpu(settings, process.pid))
        result = await post_load(client, clients, seconds, meter=lambda: _bare_cpu(settings, process.pid))
        if warm_up:
            result["warm_up"] = warm_up
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        await drop_database(settings.admin_dsn, BARE_DB)
    post = result["post_latency"]
    say(f"bare FastAPI + asyncpg INSERT, {clients} clients: {result['commands_per_s']:,.0f} requests/s "
        f"(POST p50 {post.get('p50_ms')} ms, p99 {post.get('p99_ms')} ms; statuses {result['statuses']})")
    return result
