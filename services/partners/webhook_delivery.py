"""One HTTP subscription's delivery loop: read its partner's topic from the subscription's cursor, POST
each event it selected to the sink, signed, and retry in order until the sink takes it (or pause).

Order: the partner's topic has one partition, and an event is retried until delivered before the next
is read, so a sink sees this subscription's events in topic order (in order per subject a fortiori).

Crash safety: the cursor (``webhook_cursors``) moves only in the transaction that logs the 2xx answer,
so a process killed after the sink answered but before that commit delivers that one event again, with
the same ``webhook-id`` (the CloudEvent id) — at least once, never a gap.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.kernel import clock
from services.kernel.kafka import UNHURRIED, event_consumer, topic_partitions
from services.kernel.settings import Settings
from services.kernel.store import CommandMeta, EventStore
from services.partners import delivery_log, secret, sink_address
from services.partners.contract.commands import PauseSubscription
from services.partners.contract.kafka import partner_topic
from services.partners.directory import DirectoryReader
from services.partners.handlers import subscription_command
from services.partners.signing import (
    Backoff,
    Delivery,
    NotACloudEvent,
    delivery_of,
    outcome,
    selected_by,
    signed_headers,
)
from services.pure.errors import NotFound, StateConflict
from services.pure.identity import Actor, Role

log = logging.getLogger("partners.webhooks")

#: The deliverer acts for the county when it pauses a subscription, under its own name in the events.
DELIVERER = Actor(subject="webhook-deliverer", role=Role.COUNTY_ADMIN, org_id="county")
#: Records read from the topic at a time; each is delivered (or skipped) before the next batch.
BATCH = 100
#: A new subscription starts this long before its creation time (see SubscriptionDelivery._cursor).
CLOCK_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True, kw_only=True)
class Options:
    backoff: Backoff
    #: Seconds one attempt may take in all (connect, send, the answer's status line).
    timeout: float
    #: Failed attempts in a row at one event that pause the subscription.
    max_failures: int


@dataclass(frozen=True, kw_only=True)
class Context:
    """What every delivery loop of one deliverer process shares."""

    settings: Settings
    options: Options
    pool: asyncpg.Pool
    store: EventStore[Any]
    reader: DirectoryReader
    http: httpx.AsyncClient


@dataclass(frozen=True, kw_only=True)
class Answer:
    status: int | None
    error: str | None
    latency_ms: float

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class SubscriptionDelivery:
    """Delivers one subscription until interrupted (deleted, replay asked, shutdown) or paused.

    ``run`` returns the event-store position of the pause it recorded (the deliverer starts this
    subscription again only once its directory has read that far), or None when it was interrupted.
    """

    def __init__(self, ctx: Context, subscription_id: str) -> None:
        self.ctx = ctx
        self.subscription_id = subscription_id
        self._stop = asyncio.Event()

    def interrupt(self) -> None:
        """Stop at the next safe point: between attempts, in a backoff wait, or between records."""
        self._stop.set()

    async def run(self) -> int | None:
        sub = self.ctx.reader.subscriptions[self.subscription_id]
        topic = partner_topic(sub.partner_id)
        consumer = event_consumer(self.ctx.settings, f"gb-webhooks-{self.subscription_id}", **UNHURRIED)
        await consumer.start()
        try:
            await topic_partitions(consumer, topic)  # the provisioner may not have created it yet
            tp = TopicPartition(topic, 0)
            consumer.assign([tp])
            cursor = await self._cursor(consumer, tp, sub.created_at)
            if cursor.failures >= self.ctx.options.max_failures:
                return await self._pause(cursor)  # decided before a crash, not yet an event
            consumer.seek(tp, cursor.next_offset)
            log.info("delivering subscription %s from %s offset %d", self.subscription_id, topic, cursor.next_offset)
            return await self._deliver_from(consumer, tp, cursor)
        finally:
            await consumer.stop()

    async def _cursor(self, consumer: AIOKafkaConsumer, tp: TopicPartition,
                      created_at: datetime) -> delivery_log.Cursor:
        """The stored cursor (a new subscription starts at its creation time), with a new replay applied."""
        pool, sid = self.ctx.pool, self.subscription_id
        cursor = await delivery_log.cursor(pool, sid)
        if cursor is None:
            # Only records routed while the subscription existed name it, so starting a little early
            # delivers nothing extra; the margin covers the clocks of the partners service and the router.
            start = await offset_at(consumer, tp, created_at - CLOCK_MARGIN)
            cursor = await delivery_log.open_cursor(pool, sid, start)
        replay = self.ctx.reader.replays.get(sid)
        if replay is not None and replay.replay_id != cursor.replay_id:
            if replay.from_position is not None:
                end = (await consumer.end_offsets([tp]))[tp]
                # Past the end would make the consumer reset to the beginning: the end is "from the next one".
                start = min(replay.from_position, end)
            else:
                assert replay.from_time is not None
                start = await offset_at(consumer, tp, replay.from_time)
            cursor = await delivery_log.apply_replay(pool, sid, replay.replay_id, start)
            log.info("subscription %s replays from offset %d (%s)", sid, start, replay.replay_id)
        return cursor

    async def _deliver_from(self, consumer: AIOKafkaConsumer, tp: TopicPartition,
                            cursor: delivery_log.Cursor) -> int | None:
        stored = next_offset = cursor.next_offset
        while not self._stop.is_set():
            batch = await consumer.getmany(tp, timeout_ms=500, max_records=BATCH)
            for record in batch.get(tp, []):
                if self._stop.is_set():
                    break
                if self.subscription_id not in selected_by(record.headers):
                    next_offset = record.offset + 1
                    continue
                if stored < record.offset:
                    # The pause and the backlog then name this event, not one before the skipped records.
                    await delivery_log.skip_to(self.ctx.pool, self.subscription_id, record.offset)
                    stored = record.offset
                cursor, paused = await self._deliver(record, cursor)
                if paused is not None or cursor.next_offset <= record.offset:
                    return paused  # paused, or interrupted while retrying
                stored = next_offset = cursor.next_offset
            if next_offset > stored:
                await delivery_log.skip_to(self.ctx.pool, self.subscription_id, next_offset)
                stored = next_offset
        return None

    async def _deliver(self, record: ConsumerRecord[Any, Any],
                       cursor: delivery_log.Cursor) -> tuple[delivery_log.Cursor, int | None]:
        """Retry one event until delivered, interrupted or paused; (the cursor now, the pause's position)."""
        sid, options = self.subscription_id, self.ctx.options
        try:
            delivery = delivery_of(record.value, record.offset)
        except NotACloudEvent as exc:
            # Nothing a sink could be sent: logged as a skipped attempt (0) and passed, never a blocked feed.
            log.error("subscription %s skips %s", sid, exc)
            cursor = await delivery_log.record_attempt(
                self.ctx.pool, sid, event_id="", position=record.offset, attempt=0, status=None,
                error=f"skipped: {exc}", latency_ms=0.0, delivered=True)
            return cursor, None
        while not self._stop.is_set():
            sub = self.ctx.reader.subscriptions.get(sid)
            if sub is None:
                break
            answer = await self._post(sub.sink, delivery)
            cursor = await delivery_log.record_attempt(
                self.ctx.pool, sid, event_id=delivery.event_id, position=delivery.position,
                attempt=cursor.failures + 1, status=answer.status, error=answer.error,
                latency_ms=answer.latency_ms, delivered=answer.delivered)
            if answer.delivered:
                return cursor, None
            if cursor.failures >= options.max_failures:
                return cursor, await self._pause(cursor)
            delay = options.backoff.delay(cursor.failures)
            log.info("subscription %s: offset %d failed (%s, %d in a row); retrying in %.2f s", sid,
                     delivery.position, outcome(answer.status, answer.error), cursor.failures, delay)
            try:
                await asyncio.wait_for(self._stop.wait(), delay)
            except TimeoutError:
                pass
        return cursor, None

    async def _post(self, sink: str, delivery: Delivery) -> Answer:
        headers = signed_headers(secret.webhook_secret(self.subscription_id), delivery, int(time.time()))
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            # A total bound: httpx's own timeouts are per phase, so a sink that drips bytes would outlast them.
            async with asyncio.timeout(self.ctx.options.timeout):
                # Resolved and checked now, and sent to the address checked (services/partners/sink_address.py).
                to = await sink_address.target(sink, allow_private=sink_address.private_allowed(self.ctx.settings))
                sent = {**headers, **to.headers}
                if "sni_hostname" in to.extensions:
                    # The pool matches connections by address alone: one whose certificate was checked for this
                    # name must not carry another name's request to the same address, so it is not kept.
                    sent["connection"] = "close"
                post = self.ctx.http.stream("POST", to.url, content=delivery.body, headers=sent,
                                            extensions=to.extensions)
                async with post as response:
                    status = response.status_code  # the body is not read: only the status counts
        except sink_address.SinkRefused as exc:
            error = str(exc)
        except TimeoutError:
            error = f"timeout: no answer within {self.ctx.options.timeout:g} s"
        except httpx.TimeoutException as exc:
            error = f"timeout: {type(exc).__name__}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500] if str(exc) else type(exc).__name__
        return Answer(status=status, error=error, latency_ms=(time.perf_counter() - started) * 1000)

    async def _pause(self, cursor: delivery_log.Cursor) -> int:
        """Record the pause (idempotently: a restart that finds the pause undone asks again with the same
        key) and count failures from 0 again; returns the store position the directory must reach."""
        pool, sid = self.ctx.pool, self.subscription_id
        last = await delivery_log.last_attempt(pool, sid)
        reason = outcome(last.status, last.error) if last else "failed"
        key = f"webhook-pause:{sid}:{last.id if last else 0}"
        cmd = PauseSubscription(actor=DELIVERER, today=clock.today(), subscription_id=sid, reason=reason,
                                failures=cursor.failures, next_position=cursor.next_offset)
        meta = CommandMeta(actor=DELIVERER.label, occurred_at=clock.now(), correlation_id=str(uuid.uuid4()),
                           idempotency_key=key, fingerprint=hashlib.sha256(key.encode()).hexdigest())
        try:
            result = await subscription_command(self.ctx.store, cmd, meta)
            position = result.last_position
            log.warning("subscription %s paused at offset %d after %d failures in a row (last: %s)", sid,
                        cursor.next_offset, cursor.failures, reason)
        except (StateConflict, NotFound) as exc:
            # Not active in the store any more (deleted, or the directory was a moment behind): nothing to
            # pause; the directory decides once it has read everything recorded so far.
            log.info("subscription %s not paused: %s", sid, exc)
            position = (await self.ctx.store.issued(0))[1]
        await delivery_log.pause_recorded(pool, sid)
        return position


async def offset_at(consumer: AIOKafkaConsumer, tp: TopicPartition, when: datetime) -> int:
    """The offset of the first record at or after ``when``; the end when there is none yet."""
    # The end is asked first: a record appended between the two questions is then either found by the
    # second or lies at or after this end — never skipped (asked the other way round, the router's first
    # records for a new subscription were lost in exactly that gap).
    end = (await consumer.end_offsets([tp]))[tp]
    # Before 1970 is before every record: from the first. (Kafka refuses a negative time, and the delivery loop
    # failed on it at every start, the subscription left active and silent until another replay.)
    hit = (await consumer.offsets_for_times({tp: max(int(when.timestamp() * 1000), 0)})).get(tp)
    return int(hit.offset) if hit is not None else int(end)
