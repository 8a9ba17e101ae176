"""Outbox relay: publishes stored events to the service's Kafka topic, in order, at least once.

Why no row is ever skipped
--------------------------
A relay that remembers "the highest id I published" and polls ``id > last`` loses rows: a
bigserial is taken at INSERT, not at COMMIT, so a transaction holding a lower id can commit after
one holding a higher id was already published. This relay keeps no high-water mark at all: the
outbox table *is* the to-do list. A row stays there until it has been acknowledged by Kafka
(acks=all) and only then is deleted, so a row that commits late is simply found by the next poll.

Order is kept per stream because appends to one store are serialised (gb_append_batch takes an
advisory lock), so rows become visible in position order, and within one poll the relay sends in
position order through an idempotent producer (one in-flight batch per partition). When a send
fails, only the acknowledged prefix is deleted; the rest is sent again by a fresh producer.
Consumers therefore see duplicates, never gaps, and drop duplicates by stream version.

Only one relay per service is active: it holds a PostgreSQL session advisory lock. Standbys poll
for the lock and take over within a second when the active relay's connection dies (SIGKILL).

What it shows (services/kernel/metrics.py, on ``GB_METRICS_PORT``): events published, the delay from each
event's commit to Kafka's acknowledgement, the age of the oldest row still waiting (the relay's lag: it grows
while Kafka or the relay is stuck, and is 0 when the outbox is empty), and whether this relay is the active one.
Each send is a PRODUCER span in the trace of the command that stored the event (services/kernel/tracing.py).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry.trace import SpanKind

from services.kernel import metrics, pools, tracing
from services.kernel.events import Envelope, EventRegistry
from services.kernel.kafka import event_producer
from services.kernel.settings import Settings, load_settings
from services.kernel.store import EventStore, install_schema
from services.kernel.topics import event_topic

log = logging.getLogger("relay")

BATCH = 2000
POLL_SECONDS = 0.5


class Relay:
    def __init__(self, settings: Settings, service: str, registry: EventRegistry[object]) -> None:
        self.settings = settings
        self.service = service
        self.topic = event_topic(service)
        self.registry = registry
        self.published = 0
        self._wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        pool = await pools.create_pool(self.settings.dsn(self.service), min_size=1, max_size=2)
        await install_schema(pool)
        store = EventStore(pool, self.registry)  # only for decoding rows into envelopes
        lock_conn: asyncpg.Connection = await asyncpg.connect(self.settings.dsn(self.service))
        try:
            while not stop.is_set():
                if await lock_conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", f"gb_relay_{self.service}"):
                    break
                log.info("another %s relay is active; standing by", self.service)
                await _sleep_or_stop(stop, 1.0)
            if stop.is_set():
                return
            log.info("active relay for %s → %s", self.service, self.topic)
            metrics.RELAY_ACTIVE.labels(self.service).set(1)
            await lock_conn.add_listener("gb_outbox", lambda *_: self._wake.set())
            # Any failure ends this run; main() starts a fresh one (new producer, lock re-taken).
            producer = event_producer(self.settings, f"gb-relay-{self.service}")
            await producer.start()
            try:
                while not stop.is_set():
                    self._wake.clear()
                    await self._publish_until_empty(pool, store, producer, stop)
                    try:
                        await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
                    except TimeoutError:
                        pass
            finally:
                await producer.stop()
        finally:
            metrics.RELAY_ACTIVE.labels(self.service).set(0)
            await lock_conn.close()
            await pool.close()

    async def _publish_until_empty(
        self, pool: asyncpg.Pool, store: EventStore[object], producer: AIOKafkaProducer, stop: asyncio.Event
    ) -> None:
        while not stop.is_set():
            rows = await pool.fetch(
                "SELECT e.* FROM outbox o JOIN events e ON e.position = o.id ORDER BY o.id LIMIT $1", BATCH
            )
            if not rows:
                metrics.RELAY_OLDEST.labels(self.service).set(0)
                return
            envelopes = [store.envelope_from_row(row) for row in rows]
            metrics.RELAY_OLDEST.labels(self.service).set(_age(envelopes[0]))
            futures = []
            for env in envelopes:
                span = tracing.start_span(f"send {self.topic}", traceparent=env.traceparent, kind=SpanKind.PRODUCER,
                                          attributes=tracing.event_attributes(env, self.topic, "send"))
                futures.append((env, span, await producer.send(
                    self.topic, value=env.data, key=env.stream_id.encode(), headers=env.kafka_headers())))
            done = 0
            try:
                for env, span, fut in futures:
                    await fut
                    done += 1
                    metrics.RELAY_DELAY.labels(self.service).observe(_age(env))
                    if span is not None:
                        span.end()
            finally:
                for _, span, _ in futures[done:]:
                    if span is not None:  # not acknowledged: sent again by the next run, in a span of its own
                        span.end()
                if done:
                    # Delete only the acknowledged prefix: later rows go again, in order.
                    await pool.execute(
                        "DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["position"] for r in rows[:done]]
                    )
                    self.published += done
                    metrics.RELAY_PUBLISHED.labels(self.service).inc(done)
            log.debug("published %d events (total %d)", done, self.published)


def _age(env: Envelope) -> float:
    """Seconds since ``env`` was committed (the store's clock against ours: the same machine's, or NTP's)."""
    return 0.0 if env.recorded_at is None else max(0.0, (datetime.now(UTC) - env.recorded_at).total_seconds())


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


async def main(service: str, registry: EventRegistry[Any]) -> None:
    """Relay ``service``'s outbox until SIGTERM; a lost dependency is retried, never fatal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    relay = Relay(load_settings(), service, registry)
    tracing.configure(f"{service}-relay")
    metrics.serve_from_env()
    while not stop.is_set():
        try:
            await relay.run(stop)
        except (OSError, asyncpg.PostgresError, ConnectionError) as exc:
            metrics.RELAY_FAILURES.labels(service).inc()
            log.warning("relay lost a dependency (%s); retrying in 1 s", exc)
            await _sleep_or_stop(stop, 1.0)
        except Exception:
            metrics.RELAY_FAILURES.labels(service).inc()
            log.exception("relay failed; restarting in 1 s")
            await _sleep_or_stop(stop, 1.0)
