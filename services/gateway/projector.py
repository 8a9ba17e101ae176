"""Projector process: keeps the gateway's read models up to date from the services' event topics."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal

from services.auditlog.contract import NAME as AUDITLOG
from services.gateway.readmodels import PROJECTION
from services.investment.contract import NAME as INVESTMENT
from services.kernel import logs, pools, tracing
from services.kernel.kafka import event_consumer
from services.kernel.projection_runner import ProjectionRunner
from services.kernel.rebuild import Rebuild
from services.kernel.settings import Settings, load_settings
from services.kernel.topics import event_topic
from services.membership.contract import NAME as MEMBERSHIP
from services.partners.contract import NAME as PARTNERS
from services.secondment.contract import NAME as SECONDMENT
from services.workers.contract import NAME as WORKERS

log = logging.getLogger("projector")

# Every service's event topic and the read models' database, as services.system has them
# (tests/unit/gateway/test_projector_topics.py) but named from the contracts' own modules: importing the system's
# composition brought in every service's routes and domain — a third of a rebuild's import time (measured).
TOPICS = [event_topic(name) for name in (MEMBERSHIP, SECONDMENT, INVESTMENT, PARTNERS, WORKERS, AUDITLOG)]
READ_MODEL_DATABASE = "gateway"


async def run(settings: Settings, schema: str, stop: asyncio.Event) -> int:
    """Project until stopped; return events applied."""
    # Commits wait for the WAL flush: the consumer's position lives in this process, and a PostgreSQL crash that
    # lost the last commits (synchronous_commit off) would go unnoticed by a pool that reconnects by itself —
    # those events would never be read again (seen in the suite; issue 14's note).
    pool = await pools.create_pool(settings.dsn(READ_MODEL_DATABASE), min_size=1, max_size=8)
    # Several instances (GB_INSTANCES) share the partitions through a consumer group, each seeking to the stored
    # checkpoints on every assignment; one instance assigns itself every partition.
    shared = settings.instances > 1
    group = {"group_id": f"gb-projector-{schema}"} if shared else {}  # the projector may use gb-projector* groups
    consumer = event_consumer(settings, f"gb-projector-{schema}", **group)
    runner = ProjectionRunner(pool, consumer, PROJECTION, TOPICS, schema=schema, shared=shared)
    try:
        await runner.start()
        while not stop.is_set():
            await runner.poll_once()
        return runner.applied
    finally:
        await runner.stop()
        await pool.close()


async def rebuild(settings: Settings, schema: str) -> None:
    """Drop the schema's read models and project every event on Kafka into it again (services/kernel/rebuild.py);
    a rebuild that fails starts again from offset 0."""
    stop = _stop_on_signals()
    collector = asyncio.create_task(_collect_now_and_then(stop))
    try:
        while not stop.is_set():
            consumer = event_consumer(settings, f"gb-projector-{schema}")
            build = Rebuild(settings.dsn(READ_MODEL_DATABASE), consumer, PROJECTION, TOPICS,
                            schema=schema)
            try:
                if await build.run(stop):
                    log.info("projected %d events into schema %s (%d duplicates passed over, %d set aside in "
                             "dead_letters as refused by PostgreSQL)", build.applied, schema, build.skipped,
                             build.dead_lettered)
                    return
            except Exception:
                log.exception("rebuild failed; starting again from offset 0 in 1 s")
                try:
                    await asyncio.wait_for(stop.wait(), 1.0)
                except TimeoutError:
                    pass
    finally:
        collector.cancel()
    log.warning("rebuild of schema %s stopped before the end: the schema is left unbuilt", schema)
    raise SystemExit(1)


async def _collect_now_and_then(stop: asyncio.Event, every: float = 30.0) -> None:
    """The cyclic garbage collector, run twice a minute rather than every few hundred new objects: a rebuild makes
    and drops millions of objects, freed by their reference counts, and the collector went over the batches in
    flight again and again (15 to 20% of a rebuild's CPU, measured)."""
    gc.disable()
    try:
        while not stop.is_set():
            await asyncio.sleep(every)
            gc.collect()
    finally:
        gc.enable()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def main(schema: str) -> None:
    settings = load_settings()  # a missing or default secret is fatal, never retried
    stop = _stop_on_signals()
    # The as-of rebuilds run here, beside the live projection: this process's Kafka principal may read the
    # event topics (the gateway's may not), and a rebuild's work stays off the gateway's event loop.
    builder = None if schema != "public" else asyncio.create_task(_as_of_builds(settings, stop))
    while not stop.is_set():
        try:
            applied = await run(settings, schema, stop)
            log.info("projected %d events into schema %s", applied, schema)
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
    from services.gateway import replay  # the live projector's alone: a rebuild starts without it

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
    if args.rebuild:
        # JSON lines as logs.configure writes them, without its log counter: a rebuild serves no metrics, and the
        # counter brings the metrics' web framework in — a fifth of a rebuild's imports.
        handler = logging.StreamHandler()
        handler.setFormatter(logs.JsonFormatter())
        logging.basicConfig(level=logging.INFO, handlers=[handler])
        gc.freeze()  # what the imports built lives to the end: the collector need not go over it again
        asyncio.run(rebuild(load_settings(), args.schema))
    else:
        logs.configure()  # JSON lines with the correlation id (services/kernel/logs.py)
        from services.kernel import metrics  # the live projector's alone: a rebuild starts without its web framework

        tracing.configure("projector")  # the live projector only: a rebuild would continue every old trace
        metrics.serve_from_env()
        asyncio.run(main(args.schema))
