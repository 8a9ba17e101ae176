"""Webhook deliverer process (``python -m services.partners.webhooks``, Kafka principal ``partners-webhooks``):
one delivery loop (services/partners/webhook_delivery.py) for each active HTTP subscription.

It follows the partners store (DirectoryReader, every ``REFRESH_SECONDS``) and keeps the running loops
equal to the directory: a new or resumed subscription gets a loop that starts at its cursor; a paused
or deleted one has its loop stopped; a new replay restarts the loop, which moves the cursor first.

A deactivated partner's subscriptions have their loops stopped too, between two attempts, and get none
while it stays deactivated. Their backlog is held, not dropped: the cursor stays at the first event not
delivered, and a reactivation delivers on from there (a replay from a later position skips it).

Only one deliverer is active at a time: it holds a PostgreSQL session advisory lock in the partners
database; a standby takes over within a second when the active one's connection dies (SIGKILL).

What it shows (services/kernel/metrics.py, on ``GB_METRICS_PORT``): the active deliverer counts the attempts
the delivery loops log (``webhook_attempts``) as ``gb_partner_deliveries_total{channel="http"}``, delivered (a 2xx
answer) or failed — read from the log, the one place every attempt is written, a few rows at a time.

Tuning (environment; the defaults are the production values):

    GB_WEBHOOK_BACKOFF_BASE   seconds, 0.5   first retry waits up to this (full jitter)
    GB_WEBHOOK_BACKOFF_CAP    seconds, 60    no retry waits longer
    GB_WEBHOOK_TIMEOUT        seconds, 10    one attempt's bound, answer included
    GB_WEBHOOK_MAX_FAILURES   8              failed attempts in a row that pause a subscription
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from services.kernel import logs, metrics, pools, tracing
from services.kernel.settings import Settings, load_settings
from services.kernel.store import EventStore
from services.partners import delivery_log
from services.partners.contract.events import REGISTRY
from services.partners.contract.values import DeliveryProtocol, SubscriptionState
from services.partners.directory import DirectoryReader
from services.partners.signing import USER_AGENT, Backoff
from services.partners.webhook_delivery import Context, Options, SubscriptionDelivery

log = logging.getLogger("partners.webhooks")

REFRESH_SECONDS = 0.5
#: A loop that failed (broker, database, a topic not there yet) is started again after 1, 2, 4 … 30 s.
RESTART_CAP_SECONDS = 30.0
LOCK = "gb_partners_webhooks"


def options_from_env(env: Mapping[str, str] = os.environ) -> Options:
    """The deliverer's tuning; a value that is not a positive number stops the process at start."""
    def number(name: str, default: float) -> float:
        raw = env.get(name, "").strip()
        try:
            value = float(raw) if raw else default
        except ValueError:
            raise ValueError(f"{name}={raw!r}: a number of seconds is expected") from None
        if not value > 0:
            raise ValueError(f"{name}={raw!r}: must be more than 0")
        return value

    base, cap = number("GB_WEBHOOK_BACKOFF_BASE", 0.5), number("GB_WEBHOOK_BACKOFF_CAP", 60.0)
    max_failures = number("GB_WEBHOOK_MAX_FAILURES", 8)
    if max_failures != int(max_failures):
        raise ValueError(f"GB_WEBHOOK_MAX_FAILURES={max_failures:g}: a whole number is expected")
    return Options(backoff=Backoff(base=base, cap=max(cap, base)), timeout=number("GB_WEBHOOK_TIMEOUT", 10.0),
                   max_failures=int(max_failures))


@dataclass
class _Running:
    delivery: SubscriptionDelivery
    task: asyncio.Task[int | None]
    #: The replay the loop started with: a newer one restarts it (the loop applies it at start).
    replay_id: str | None


@dataclass
class Deliverer:
    settings: Settings
    options: Options
    running: dict[str, _Running] = field(default_factory=dict)
    #: Subscriptions not to start before the directory has read this far (the pause they recorded).
    held_until: dict[str, int] = field(default_factory=dict)
    #: Failed loops: how many in a row, and the loop time before which they are not started again.
    restarts: dict[str, tuple[int, float]] = field(default_factory=dict)

    async def run(self, stop: asyncio.Event) -> None:
        dsn = self.settings.dsn("partners")
        pool = await pools.create_pool(dsn, min_size=1, max_size=8)
        lock_conn: asyncpg.Connection | None = None
        store: EventStore[Any] = EventStore(pool, REGISTRY)
        try:
            # The partners service installs these too; whichever starts first does.
            await delivery_log.install(pool)
            await store.start()
            lock_conn = await asyncpg.connect(dsn)
            standing_by = False
            while not await lock_conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", LOCK):
                if not standing_by:
                    log.info("another webhook deliverer is active; standing by")
                    standing_by = True
                if await _wait(stop, 1.0):
                    return
            reader = DirectoryReader(store)
            timeout = httpx.Timeout(self.options.timeout)
            # trust_env=False: a sink is reached directly, never through a proxy the environment happens to name.
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False,
                                         headers={"user-agent": USER_AGENT}) as http:
                ctx = Context(settings=self.settings, options=self.options, pool=pool, store=store, reader=reader,
                              http=http)
                log.info("active webhook deliverer (%s)", self.options)
                counted = await pool.fetchval("SELECT coalesce(max(id), 0) FROM webhook_attempts")
                try:
                    while not stop.is_set():
                        await lock_conn.fetchval("SELECT 1")  # a lost lock connection ends this run
                        await reader.refresh()
                        self.reconcile(ctx)
                        counted = await count_attempts(pool, after=counted)
                        await _wait(stop, REFRESH_SECONDS)
                finally:
                    await self.stop_all()
        finally:
            await store.stop()
            if lock_conn is not None:
                await lock_conn.close()
            await pool.close()

    def reconcile(self, ctx: Context) -> None:
        """Make the running loops what the directory says: one per active HTTP subscription."""
        reader, now = ctx.reader, asyncio.get_running_loop().time()
        active = {sid for sid, s in reader.subscriptions.items()
                  if s.protocol is DeliveryProtocol.HTTP and s.state is SubscriptionState.ACTIVE
                  and _partner_active(reader, s.partner_id)}
        for sid, running in list(self.running.items()):
            if running.task.done():
                del self.running[sid]
                self._ended(sid, running.task, now)
            elif sid not in active or _replay_id(reader, sid) != running.replay_id:
                running.delivery.interrupt()
        for sid in sorted(active - set(self.running)):
            if self.held_until.get(sid, 0) > reader.position or self.restarts.get(sid, (0, 0.0))[1] > now:
                continue
            self.held_until.pop(sid, None)
            delivery = SubscriptionDelivery(ctx, sid)
            task = asyncio.create_task(delivery.run(), name=f"webhook-{sid}")
            self.running[sid] = _Running(delivery=delivery, task=task, replay_id=_replay_id(reader, sid))

    def _ended(self, sid: str, task: asyncio.Task[int | None], now: float) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            self.restarts.pop(sid, None)
            paused_at = task.result()
            if paused_at is not None:
                self.held_until[sid] = paused_at
            return
        failed = self.restarts.get(sid, (0, 0.0))[0] + 1
        delay = min(RESTART_CAP_SECONDS, 2.0 ** (failed - 1))
        self.restarts[sid] = (failed, now + delay)
        log.warning("delivery of subscription %s failed (%s: %s); starting again in %.0f s", sid,
                    type(error).__name__, error, delay, exc_info=error if failed == 1 else None)

    async def stop_all(self) -> None:
        """Let each loop finish its attempt in flight (bounded by the attempt timeout), then cancel the rest."""
        for running in self.running.values():
            running.delivery.interrupt()
        tasks = [r.task for r in self.running.values()]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.options.timeout + 5)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self.running.clear()


async def count_attempts(pool: asyncpg.Pool, *, after: int) -> int:
    """Count the attempts logged after id ``after`` (services/partners/delivery_log.py) as deliveries, delivered or
    failed; the last id counted."""
    rows = await pool.fetch("SELECT id, status FROM webhook_attempts WHERE id > $1 ORDER BY id LIMIT 10000", after)
    delivered = sum(1 for r in rows if r["status"] is not None and 200 <= r["status"] < 300)
    if delivered:
        metrics.PARTNER_DELIVERIES.labels("http", "delivered").inc(delivered)
    if len(rows) > delivered:
        metrics.PARTNER_DELIVERIES.labels("http", "failed").inc(len(rows) - delivered)
    return int(rows[-1]["id"]) if rows else after


def _partner_active(reader: DirectoryReader, partner_id: str) -> bool:
    partner = reader.partners.get(partner_id)
    return partner is not None and partner.active


def _replay_id(reader: DirectoryReader, sid: str) -> str | None:
    replay = reader.replays.get(sid)
    return replay.replay_id if replay else None


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True when ``stop`` was set."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
        return True
    except TimeoutError:
        return stop.is_set()


async def serve() -> None:
    """Deliver until SIGTERM; a lost dependency is retried, never fatal (a bad setting is)."""
    settings, options = load_settings(), options_from_env()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    deliverer = Deliverer(settings, options)
    while not stop.is_set():
        try:
            await deliverer.run(stop)
        except Exception:
            log.exception("webhook deliverer failed; restarting in 1 s")
            await _wait(stop, 1.0)


def main() -> None:
    logs.configure()  # JSON lines with the correlation id (services/kernel/logs.py)
    tracing.configure("partners-webhooks")
    metrics.serve_from_env()
    # Every attempt is in webhook_attempts already; httpx would log each request a second time.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(serve())


if __name__ == "__main__":
    main()
