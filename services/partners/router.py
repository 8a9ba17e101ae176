"""The partner router (``python -m services.partners.router``; faust-streaming, Kafka principal
``partners-router``): every internal event topic, filtered and masked per partner, to each partner's topic.

For each batch of internal events it reads the partners store (DirectoryReader), turns each event into
its outward form and routes it (services/partners/domain/routing.py), and writes one structured
CloudEvent per delivery to ``gb.partner.<partner>.events`` through an idempotent producer (acks=all).

The guarantee: at least once; a duplicate is the same CloudEvent (same ``id``).
Why no event is lost (docs/decisions/partner-router.md has the measurements):

1. A batch's offsets are acknowledged to faust only after the broker acknowledged every record the batch
   produced. The batches come from ``stream.noack_take``: unlike ``take()``/``take_events()``, whose
   ``finally`` acks the batch however the loop body ends (an exception, a cancellation, the generator
   closed by ``Stream.on_stop``), it never acks; the agent acks each event itself after the batch is done.
   faust commits only the contiguous acknowledged prefix of each partition (``Consumer._new_offset``),
   so an unacknowledged event holds the commit back and is read again after a restart.
2. No exception leaves the batch body: a failed batch (broker, database, an organisation follower that
   is behind) is logged and tried again whole, with backoff; sends that had succeeded are sent again
   (duplicates, same ids). After ``RETRY_ATTEMPTS`` the process exits.
   A record that no attempt could ever read — not a CloudEvent of ours, or data that does not fit its event's
   schema — is not what fails a batch: it is set aside in the partners database's ``router_dead_letters`` (the
   record as it came, with why) within the batch's attempt, and passed over, as the projector sets such records
   aside in the read models' ``dead_letters``. Held instead, it would stop every partner's delivery for good: each
   restart reads it again. An event of a type this router does not know is passed over (logged): the outward
   catalogue it routes by is the same code's, so it would route nothing of it.
3. Should an exception escape anyway, the agent's ``on_error`` ends the process at once (``os._exit``),
   before faust can go on: its default handler (``App._on_agent_error``) commits, and its supervisor
   restarts the agent on a stream that has moved past the failed batch. A restarted process resumes from
   the last commit, which never passes an event not yet delivered.

What it shows (services/kernel/metrics.py, on ``GB_METRICS_PORT``): records delivered to partner topics
(``gb_partner_deliveries_total{channel="kafka"}``), failed batch attempts and records set aside; each routed
event is a CONSUMER span continuing the trace of the command that stored it (its ``traceparent``,
services/kernel/tracing.py).

Fault injection (development only): ``GB_FAULT_ROUTER_RAISE_AT=<n>`` raises once, in the middle of the
batch, at the n-th event this process routes; ``GB_ROUTER_UNGUARDED=1`` runs the router the plain faust
way instead (``take_events``, no retry, faust's own ``on_error``), to show what the guard prevents.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, cast

import asyncpg
import faust
from aiokafka import AIOKafkaProducer
from faust.types import EventT
from pydantic import ValidationError

from services import system
from services.kernel import logs, metrics, pools, tracing
from services.kernel.events import Envelope, EventRegistry, UnknownEventType, encode
from services.kernel.kafka import event_producer
from services.kernel.settings import Settings, load_settings
from services.kernel.store import EventStore
from services.kernel.topics import event_topic
from services.partners import router_dead_letters as dead_letters
from services.partners.contract.events import REGISTRY
from services.partners.contract.kafka import ROUTER_APP_ID, partner_topic
from services.partners.contract.service import SERVICE as PARTNERS
from services.partners.directory import DirectoryReader
from services.partners.domain.routing import CONTENT_TYPE, Delivery, OrgTree, Outward, route, to_outward
from services.partners.org_tree import OrgFollower, unknown_after
from services.partners.router_dead_letters import Unreadable
from services.partners.router_transport import RouterTransport

log = logging.getLogger("partners.router")

#: Events per batch, and how long a batch waits to fill: one directory read and one wait for the
#: broker's acknowledgements per batch. The wait is what a lone event waits before it is routed (a
#: partner's latency), so it is short; under load a batch fills before it ends.
BATCH = 500
WITHIN_SECONDS = 0.05
#: The most a batch waits for the partners store's clock to pass when its newest event was recorded. Each event is
#: decided against the deactivations, reactivations and subscriptions recorded before it was (both by their stores'
#: ``recorded_at``): the directory is read after a quiet moment of the partners store (``DirectoryReader.settled``),
#: which holds every change recorded before that moment, and the moment is later than any event the router has been
#: handed (the event was recorded, then published, then fetched). With every store on one PostgreSQL server (./gb run,
#: docker-compose.yml) the two clocks are one and nothing waits; stores on servers whose clocks differ make a batch
#: wait, and read again, until the partners server's clock has passed its events, and past this margin it is
#: decided as it is rather than held whatever a clock says.
CLOCK_WAIT_SECONDS = 2.0
#: How long a batch waits for the organisation follower before it is tried again.
TREE_WAIT_SECONDS = 10.0
#: A failed batch is tried again after 0.5, 1, 2 … 30 s; after this many attempts (about 3 min) the
#: process exits, so that a fresh one (docker-compose restarts it) starts from the last commit.
RETRY_ATTEMPTS = 12
RETRY_BASE_SECONDS = 0.5
RETRY_CAP_SECONDS = 30.0
#: The exit status of a deliberate hard exit (EX_SOFTWARE).
EXIT_STATUS = 70
#: A restarted router rejoins its group once the killed member's session has expired: faust's
#: default (60 s) stalls every restart after SIGKILL by about a minute; 10 s gave about 10 s (measured).
SESSION_TIMEOUT_SECONDS = 10.0
HEARTBEAT_SECONDS = 1.0
#: faust commits the acknowledged offsets this often: what a SIGKILL may redeliver (default 2.8 s).
COMMIT_INTERVAL_SECONDS = 1.0


@dataclass(frozen=True)
class Options:
    public_base_url: str
    raise_at: int | None = None
    unguarded: bool = False


def options_from_env(settings: Settings, env: Mapping[str, str] = os.environ) -> Options:
    """The router's options; a fault switch outside development stops the process at start."""
    base = env.get("GB_PUBLIC_BASE_URL", "").strip() or f"http://127.0.0.1:{settings.gateway_port}"
    raw = env.get("GB_FAULT_ROUTER_RAISE_AT", "").strip()
    unguarded = env.get("GB_ROUTER_UNGUARDED", "").strip() not in ("", "0")
    if (raw or unguarded) and settings.environment != "development":
        raise ValueError("GB_FAULT_ROUTER_RAISE_AT and GB_ROUTER_UNGUARDED are fault-test switches: "
                         f"refused outside development (GB_ENV={settings.environment})")
    if raw and not (raw.isdigit() and int(raw) > 0):
        raise ValueError(f"GB_FAULT_ROUTER_RAISE_AT={raw!r}: a positive whole number is expected")
    return Options(public_base_url=base.rstrip("/"), raise_at=int(raw) if raw else None, unguarded=unguarded)


def internal_topics() -> list[str]:
    """Every service's event topic but the partners' own (partner registrations are not routed)."""
    return [s.topic for s in system.SERVICES if s.name != PARTNERS.name]


@dataclass(frozen=True)
class PartnerRecord:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def recorded(envelope: Envelope) -> datetime:
    """When the event's store recorded it (the relay's ``ce_recordedat``), what routing judges it at; its own time
    for a record published without one."""
    return envelope.recorded_at or envelope.time


def clock_wait(newest: datetime | None, moment: datetime, waited: float, margin: float | None = None) -> float:
    """How long the batch waits before it reads the directory again: until the partners store's clock (its quiet
    ``moment``) has passed the batch's ``newest`` event time, having waited ``waited`` seconds already — never more
    than ``CLOCK_WAIT_SECONDS`` in all. 0 when the directory read holds every change recorded before each event."""
    margin = CLOCK_WAIT_SECONDS if margin is None else margin
    if newest is None or newest < moment:
        return 0.0
    # A microsecond past the newest event time: a change stamped in that very microsecond counts as before it.
    return max(0.0, min(margin - waited, (newest - moment).total_seconds() + 1e-6))


def partner_record(delivery: Delivery) -> PartnerRecord:
    """A delivery as its partner-topic record: key = subject, value = the structured CloudEvent, and the
    subscriptions that chose it in ``gb-subscriptions`` (docs/partners.md)."""
    return PartnerRecord(
        topic=partner_topic(delivery.partner_id),
        key=delivery.subject.encode(),
        value=encode(delivery.cloudevent),
        headers=[("content-type", CONTENT_TYPE.encode()),
                 ("gb-subscriptions", ",".join(delivery.subscription_ids).encode())],
    )


def describe(exc: BaseException) -> str:
    """An error for the log, without the values it may quote (a validation error quotes its input)."""
    if isinstance(exc, ValidationError):
        return f"ValidationError ({exc.error_count()} errors in {exc.title})"
    return f"{type(exc).__name__}: {exc}"


def state_dir(settings: Settings) -> Path:
    """The router's own files: faust's data and the organisation tree's snapshot."""
    return settings.data_dir / "partners-router"


class InjectedFault(RuntimeError):
    """GB_FAULT_ROUTER_RAISE_AT: the fault the fault test asks for."""


class Router:
    """Routes one batch at a time; holds the directory, the organisation tree and the producer."""

    def __init__(self, settings: Settings, options: Options) -> None:
        self.settings = settings
        self.options = options
        self.registries: dict[str, EventRegistry[Any]] = {
            event_topic(name): registry for name, registry in system.registries().items()}
        self.tree = OrgTree()
        self.follower = OrgFollower(settings, system.registries()["membership"], event_topic("membership"),
                                    self.tree, snapshot=state_dir(settings) / "org-tree.json")
        #: Records delivered, and events routed (the fault switch counts these), by this process.
        self.routed = 0
        self.events_routed = 0
        self._raised = False
        self._pool: asyncpg.Pool | None = None
        self._reader: DirectoryReader | None = None
        self._producer: AIOKafkaProducer | None = None

    def start(self) -> None:
        """Start following the organisations; the store and the producer are opened by the first batch
        (inside the guard, so a database or broker that is down at start is waited for, not fatal)."""
        log.info("routing %s to the partner topics%s", ", ".join(internal_topics()),
                 " (UNGUARDED: for the fault test only)" if self.options.unguarded else "")
        self.follower.start()

    async def stop(self) -> None:
        await self.follower.stop()
        await self._drop_producer()
        if self._pool is not None:
            await self._pool.close()
            self._pool, self._reader = None, None

    async def deliver_guarded(self, events: Sequence[EventT[Any]]) -> None:
        """``deliver`` until it succeeds; nothing is raised (the process exits after the last attempt)."""
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                await self.deliver(events)
                if attempt > 1:
                    log.info("batch of %d events delivered at attempt %d", len(events), attempt)
                return
            except Exception as exc:  # the guard: nothing may leave the batch body
                metrics.PARTNER_BATCH_FAILURES.inc()
                delay = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempt - 1))
                log.warning("batch of %d events failed at attempt %d/%d (%s); trying it again in %.1f s",
                            len(events), attempt, RETRY_ATTEMPTS, describe(exc), delay)
                await self._drop_producer()  # a fresh idempotent producer for the next attempt
                if attempt < RETRY_ATTEMPTS:
                    await asyncio.sleep(delay)
        hard_exit(f"a batch of {len(events)} events failed {RETRY_ATTEMPTS} times; its offsets stay uncommitted")

    async def deliver(self, events: Sequence[EventT[Any]]) -> None:
        """One attempt: route every event of the batch and wait until the broker has acknowledged each record."""
        reader = await self._ensure_reader()
        items: list[tuple[str, Envelope, Outward]] = []
        unreadable: list[tuple[Any, str]] = []
        for event in events:
            try:
                found = self._outward(event)
            except Unreadable as exc:
                unreadable.append((event.message, exc.reason))
                continue
            if found is not None:
                items.append((event.message.topic, *found))
        if items:  # a batch with nothing to route decides nothing: no directory read, no quiet moment
            newest = max(recorded(envelope) for _, envelope, _ in items)
            moment, waited = await reader.settled(), 0.0
            while wait := clock_wait(newest, moment, waited):
                await asyncio.sleep(wait)
                waited += wait
                moment = await reader.settled()
        directory = reader.directory
        if not any(directory.subscriptions.values()):
            await self._set_aside(unreadable)
            return
        if unknown_after(self.tree, [item for _, _, item in items]):
            await self.follower.catch_up(TREE_WAIT_SECONDS)
        producer = await self._ensure_producer()
        pending = []
        for topic, envelope, item in items:
            self._maybe_fault()
            with tracing.consumed_event(envelope, topic, "route"):
                for delivery in route(item, event_id=str(envelope.id), source=envelope.source, time=envelope.time,
                                      recorded=recorded(envelope),
                                      directory=directory, tree=self.tree,
                                      public_base_url=self.options.public_base_url):
                    record = partner_record(delivery)
                    pending.append(await producer.send(record.topic, value=record.value, key=record.key,
                                                       headers=record.headers))
        # The batch is done only when every record is acknowledged (acks=all): then its offsets may be acked.
        for future in pending:
            await future
        await self._set_aside(unreadable)
        self.routed += len(pending)
        metrics.PARTNER_DELIVERIES.labels("kafka", "delivered").inc(len(pending))
        log.debug("batch of %d events: %d records (%d in all)", len(events), len(pending), self.routed)

    def _outward(self, event: EventT[Any]) -> tuple[Envelope, Outward] | None:
        """The event's envelope and outward form; None when it has none (not a partner's kind of event, or a type
        this router does not know); Unreadable when the record is no event of ours."""
        message = event.message
        where = f"{message.topic}[{message.partition}]@{message.offset}"
        try:
            headers = message.headers or ()
            pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
            envelope = Envelope.from_kafka(pairs, message.value or b"")
        except (KeyError, ValueError, UnicodeDecodeError, TypeError) as exc:
            raise Unreadable(f"not a Golden Bridge CloudEvent: {describe(exc)}") from None
        try:
            decoded = self.registries[message.topic].decode(envelope.type, envelope.data)
        except UnknownEventType:
            log.warning("%s: event type %s is not known to this router: passed over", where, envelope.type)
            return None
        except ValueError as exc:  # pydantic's ValidationError: the data does not fit its schema
            raise Unreadable(f"{envelope.type} does not fit its schema: {describe(exc)}") from None
        try:
            item = to_outward(decoded)
        except Exception as exc:
            # A fault of this code, not of the record: the batch fails and is tried again, and the log says where.
            raise RuntimeError(f"cannot route {where}: {describe(exc)}") from None
        return None if item is None else (envelope, item)

    async def _set_aside(self, unreadable: Sequence[tuple[Any, str]]) -> None:
        if unreadable:
            assert self._pool is not None  # opened by _ensure_reader at the start of the attempt
            await dead_letters.set_aside(self._pool, unreadable)

    def _maybe_fault(self) -> None:
        self.events_routed += 1
        if self.options.raise_at is not None and not self._raised and self.events_routed >= self.options.raise_at:
            self._raised = True
            log.warning("GB_FAULT_ROUTER_RAISE_AT=%d: raising in the middle of a batch", self.options.raise_at)
            raise InjectedFault(f"injected at event {self.events_routed} (GB_FAULT_ROUTER_RAISE_AT)")

    async def _ensure_reader(self) -> DirectoryReader:
        if self._reader is None:
            pool = await pools.create_pool(self.settings.dsn(PARTNERS.name), min_size=1, max_size=2)
            try:
                await dead_letters.install(pool)
            except BaseException:
                await pool.close()
                raise
            self._pool = pool
            self._reader = DirectoryReader(EventStore(self._pool, REGISTRY))
        return self._reader

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = event_producer(self.settings, "gb-partners-router")
            await producer.start()
            self._producer = producer
        return self._producer

    async def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), 10)
            except Exception as exc:  # it is being replaced anyway
                log.warning("stopping the producer failed (%s)", describe(exc))


def hard_exit(reason: str) -> NoReturn:
    """End the process now: no faust shutdown, so no commit of anything not yet delivered."""
    log.critical("%s; exiting now (status %d) without committing; a restart resumes from the last commit",
                 reason, EXIT_STATUS)
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_STATUS)


async def _exit_on_agent_error(agent: Any, exc: BaseException) -> None:
    # Called by Agent._execute_actor before it marks the actor crashed; no await comes before the exit.
    hard_exit(f"the router's agent raised {describe(exc)}")


class GuardedAgent(faust.Agent):
    """faust's agent with one change: an exception that leaves it ends the process (see the module)."""

    def __init__(self, fun: Any, *, on_error: Any = None, **kwargs: Any) -> None:
        super().__init__(fun, on_error=_exit_on_agent_error, **kwargs)


def create_app(settings: Settings, options: Options) -> faust.App:
    """The faust app: its id is the consumer group; one agent reads every internal event topic."""
    router = Router(settings, options)
    app = faust.App(
        ROUTER_APP_ID,
        broker=[f"kafka://{server}" for server in settings.bootstrap_servers.split(",")],
        broker_credentials=faust.SASLCredentials(username=settings.kafka_username, password=settings.kafka_password,
                                                 mechanism="SCRAM-SHA-512"),
        Agent=faust.Agent if options.unguarded else GuardedAgent,
        autodiscover=False,
        web_enabled=False,
        topic_disable_leader=True,  # no leader election needed: no faust topic to create
        datadir=str(state_dir(settings)),
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=SESSION_TIMEOUT_SECONDS,
        broker_heartbeat_interval=HEARTBEAT_SECONDS,
        broker_commit_interval=COMMIT_INTERVAL_SECONDS,
    )
    # Before anything asks the app for its transport (app.topic does): fetches unhurried (router_transport.py).
    app.transport = RouterTransport(app.conf.broker_consumer, app)
    source = app.topic(*internal_topics(), key_type=bytes, value_type=bytes, key_serializer="raw",
                       value_serializer="raw")

    @app.agent(source, name="route")
    async def route_events(agent_stream: faust.StreamT[bytes]) -> None:
        stream = cast(faust.Stream[bytes], agent_stream)
        router.start()
        try:
            if options.unguarded:
                async for events in stream.take_events(BATCH, within=WITHIN_SECONDS):
                    await router.deliver(events)
                return
            async for batch in stream.noack_take(BATCH, within=WITHIN_SECONDS):
                events = cast(Sequence[EventT[Any]], batch)  # it yields the events; its annotation says values
                await router.deliver_guarded(events)
                for event in events:
                    await stream.ack(event)
        finally:
            await router.stop()

    return app


def main() -> None:
    settings = load_settings()  # a missing or default secret is fatal, never retried
    options = options_from_env(settings)
    tracing.configure("partners-router")
    metrics.serve_from_env()
    app = create_app(settings, options)
    # JSON lines like every process (services/kernel/logs.py): faust sets up logging itself, from this mapping.
    faust.Worker(app, loglevel="info", logging_config=logs.dict_config()).execute_from_commandline()


if __name__ == "__main__":
    main()
