"""Projector process: keeps the gateway's read models up to date from the services' event topics."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

import asyncpg

from services import system
from services.gateway import replay
from services.gateway.readmodels import PROJECTION
from services.kernel import logs, metrics, pools, tracing
from services.kernel.kafka import event_consumer
from services.kernel.projection import ProjectionRunner
from services.kernel.settings import Settings, load_settings

log = logging.getLogger("projector")


async def run(settings: Settings, schema: str, stop: asyncio.Event, *, until_caught_up: bool = False) -> int:
    """Project until stopped (or, with ``until_caught_up``, until no events are left); return events applied."""
    # Commits wait for the WAL flush: the consumer's position lives in this process, and a PostgreSQL crash that
    # lost the last commits (synchronous_commit off) would go unnoticed by a pool that reconnects by itself —
    # those events would never be read again (seen in the suite; issue 14's note).
    pool = await pools.create_pool(settings.dsn(system.READ_MODEL_DATABASE), min_size=1, max_size=8)
    # Several instances (GB_INSTANCES) share the partitions through a consumer group, each seeking to the stored
    # checkpoints on every assignment; one instance, and a rebuild, assign themselves every partition.
    shared = settings.instances > 1 and not until_caught_up
    group = {"group_id": f"gb-projector-{schema}"} if shared else {}  # the projector may use gb-projector* groups
    consumer = event_consumer(settings, f"gb-projector-{schema}", **group)
    runner = ProjectionRunner(pool, consumer, PROJECTION, system.topics(), schema=schema, shared=shared)
    try:
        await runner.start()
        idle = 0
        while not stop.is_set():
            n = await runner.poll_once()
            if until_caught_up:
                idle = idle + 1 if n == 0 else 0
                if idle >= 3:
                    break
        return runner.applied
    finally:
        await runner.stop()
        await pool.close()


async def main(schema: str, until_caught_up: bool) -> None:
    settings = load_settings()  # a missing or default secret is fatal, never retried
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # The as-of rebuilds run here, beside the live projection: this process's Kafka principal may read the
    # event topics (the gateway's may not), and a rebuild's work stays off the gateway's event loop.
    builder = None if until_caught_up or schema != "public" else asyncio.create_task(_as_of_builds(settings, stop))
    while not stop.is_set():
        try:
            applied = await run(settings, schema, stop, until_caught_up=until_caught_up)
            log.info("projected %d events into schema %s", applied, schema)
            if until_caught_up:
                return
        except Exception:
            log.exception("projector failed; restarting in 1 s")
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
    if builder is not None:
        await builder


async def _as_of_builds(settings: Settings, stop: asyncio.Event) -> None:
    """Serve as-of rebuilds until stopped, starting again after a failure (services/gateway/replay.py)."""
    while not stop.is_set():
        try:
            await replay.serve(settings, stop)
        except Exception:
            log.exception("as-of builder failed; restarting in 1 s")
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Project service events into the gateway's read models.")
    parser.add_argument("--schema", default="public", help="PostgreSQL schema of the read models")
    parser.add_argument("--rebuild", action="store_true",
                        help="drop the schema's read models first and project again from offset 0, then exit")
    args = parser.parse_args()
    logs.configure()  # JSON lines with the correlation id (services/kernel/logs.py)
    if args.rebuild:
        async def rebuild() -> None:
            conn = await asyncpg.connect(load_settings().dsn(system.READ_MODEL_DATABASE))
            await conn.execute(f'DROP SCHEMA IF EXISTS "{args.schema}" CASCADE')
            await conn.close()
            await main(args.schema, until_caught_up=True)
        asyncio.run(rebuild())
    else:
        tracing.configure("projector")  # the live projector only: a rebuild would continue every old trace
        metrics.serve_from_env()
        asyncio.run(main(args.schema, until_caught_up=False))
