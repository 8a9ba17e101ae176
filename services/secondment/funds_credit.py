"""Policy: funds arriving on a lead credited to a seconded cadre become a contribution on that secondment.

A stream processor on ``gb.investment.events``, run as its own process (``funds-credit``). For each
``FundsArrived`` whose registrant is a cadre, it finds the cadre's secondment whose time away covers
the arrival day and records a capital contribution there; the secondment's own rule then proposes a
commendation once the capital reaches the policy threshold.

Exactly once in effect: the contribution is appended with the idempotency key
``funds-credit:<event id>``, which the event store writes in the same transaction as the events.
Kafka offsets are committed only after a batch is handled, so a crash redelivers at most the batch
in flight, and a redelivered (or replayed) event finds its key and writes nothing. The contribution
id (``funds:<lead>:<instalment>``) makes the domain refuse a second copy as well.

Run without options it is the live policy (group ``gb-policy-funds-credit``), restarting after any
failure. ``--group NAME --from-beginning --until-caught-up`` replays instead: it reads every partition
of the topic under its own group, from offset 0, up to the end offsets it saw when it started, logs
what it did (``caught up (group NAME): {"replayed": …}``) and exits — a replay that writes nothing
shows the policy is idempotent.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import signal
import sys
from collections import Counter

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.investment.contract.events import EVENTS, FundsArrived, RegistrantKind
from services.investment.contract.events import REGISTRY as INVESTMENT
from services.kernel import logs, metrics, pools, tracing
from services.kernel.clock import county_day, now
from services.kernel.events import Envelope
from services.kernel.kafka import UNHURRIED, event_consumer, topic_partitions
from services.kernel.settings import Settings, load_settings
from services.kernel.store import CommandMeta, EventStore
from services.kernel.topics import event_topic
from services.pure.errors import DomainError
from services.pure.identity import Actor, Role
from services.secondment import handlers
from services.secondment.contract.commands import RecordContribution
from services.secondment.contract.events import REGISTRY as SECONDMENT
from services.secondment.contract.events import ContributionKind
from services.secondment.contract.service import FUNDS_CREDIT_GROUP

log = logging.getLogger("funds-credit")

FUNDS_ARRIVED = next(name for name, kind in EVENTS.items() if kind is FundsArrived)
#: The policy acts for the county organisation department, under its own name in the events' actor.
POLICY_ACTOR = Actor(subject="policy-funds-credit", role=Role.COUNTY_ADMIN, org_id="county")


def contribution_for(event: FundsArrived, env: Envelope, secondment_id: str) -> RecordContribution:
    return RecordContribution(
        actor=POLICY_ACTOR, today=county_day(env.time), secondment_id=secondment_id,
        contribution_id=f"funds:{event.lead_id}:{event.instalment}", kind=ContributionKind.CAPITAL,
        description=f"funds arrived on lead {event.lead_id}, instalment {event.instalment} (voucher {event.reference})",
        contributed_on=event.arrived_on, amount_yuan=event.amount, source_ref=f"{env.source}#{env.id}",
    )


def same_township(event: FundsArrived, township_id: str) -> bool:
    """Whether the lead is of the cadre's township. Any township committee or branch secretary may name any cadre as
    its lead's registrant (the gateway checks a cadre's township only when the cadre registers the lead), so
    without this another township's funds — its own word on money arrived — became a contribution, and a
    commendation proposal, on this township's secondment. An event recorded before leads carried their township
    (None) is credited as it was then."""
    return event.township_id is None or event.township_id == township_id


def meta_for(env: Envelope) -> CommandMeta:
    return CommandMeta(
        actor=POLICY_ACTOR.label, occurred_at=now(), correlation_id=env.correlation_id,
        causation_id=str(env.id), idempotency_key=f"funds-credit:{env.id}",
        fingerprint=hashlib.sha256(f"{env.source}#{env.id}".encode()).hexdigest(),
        traceparent=tracing.traceparent(),  # the contribution continues the trace of the funds' arrival
    )


async def handle(store: EventStore[object], env: Envelope) -> str:
    """Handle one investment event; returns what happened (for the counters and the log)."""
    if env.type != FUNDS_ARRIVED:
        return "ignored"
    event = INVESTMENT.decode(env.type, env.data)
    if not isinstance(event, FundsArrived) or event.registrant_kind is not RegistrantKind.CADRE:
        return "ignored"
    secondment = await handlers.secondment_on(store, event.registrant_id, event.arrived_on)
    if secondment is None:
        return "not_seconded"
    if not same_township(event, secondment.township_id):
        log.warning("funds on lead %s of township %s not credited to %s of township %s: a lead credits only a cadre "
                    "of its own township", event.lead_id, event.township_id, secondment.secondment_id,
                    secondment.township_id)
        return "other_township"
    try:
        result = await handlers.secondment_step(store, contribution_for(event, env, secondment.secondment_id),
                                                meta_for(env))
    except DomainError as exc:
        # The rules refuse it (e.g. the money arrived before the departure): nothing is written, so a
        # replay refuses it the same way. Logged for the sending unit to record by hand if it is theirs.
        log.warning("funds on lead %s not credited to %s: %s", event.lead_id, secondment.secondment_id, exc)
        return "refused"
    return "replayed" if result.replayed else "credited"


class FundsCredit:
    """The policy's consumer loop, under ``group``: live (subscribed, until stopped) or, with
    ``until_caught_up``, over every partition up to the end offsets seen at the start."""

    def __init__(self, settings: Settings, *, group: str = FUNDS_CREDIT_GROUP, from_beginning: bool = False,
                 until_caught_up: bool = False) -> None:
        self.settings = settings
        self.group = group
        self.from_beginning = from_beginning
        self.until_caught_up = until_caught_up
        self.counts: Counter[str] = Counter()

    async def run(self, stop: asyncio.Event) -> bool:
        """Handle events until ``stop`` is set (or, catching up, until the end offsets); True once caught up."""
        pool = await pools.create_pool(self.settings.dsn("secondment"), min_size=1, max_size=4)
        store: EventStore[object] = EventStore(pool, SECONDMENT)
        consumer: AIOKafkaConsumer = event_consumer(self.settings, "gb-funds-credit", group_id=self.group,
                                                         **UNHURRIED)
        await store.start()
        await handlers.install(pool)
        await consumer.start()
        try:
            ends = await self._start_reading(consumer)
            progress_at = asyncio.get_running_loop().time() + 5
            while not stop.is_set():
                if ends is not None and await _reached(consumer, ends):
                    return True
                batches = await consumer.getmany(timeout_ms=500, max_records=500)
                for records in batches.values():
                    for record in records:  # one partition's records in order
                        env = Envelope.from_kafka(record.headers, record.value or b"")
                        with logs.correlated(env.correlation_id), tracing.consumed_event(env, record.topic, "credit"):
                            self.counts[await handle(store, env)] += 1
                if batches:
                    await consumer.commit()  # only after the batch is written: a crash redelivers, never skips
                if ends is not None and asyncio.get_running_loop().time() > progress_at:
                    log.info("funds-credit catching up (group %s): %s", self.group, _counts(self.counts))
                    progress_at += 5
            return False
        finally:
            await consumer.stop()
            await store.stop()
            await pool.close()

    async def _start_reading(self, consumer: AIOKafkaConsumer) -> dict[TopicPartition, int] | None:
        """Live: join the group. Catching up: read every partition (from 0 if asked); returns where to stop."""
        topic = event_topic("investment")
        if not self.until_caught_up:
            consumer.subscribe([topic])
            return None
        partitions = await topic_partitions(consumer, topic)
        consumer.assign(partitions)
        if self.from_beginning:
            await consumer.seek_to_beginning(*partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        log.info("funds-credit catching up on %s (group %s) to %d events", topic, self.group, sum(ends.values()))
        return ends


async def _reached(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    return all([await consumer.position(tp) >= end for tp, end in ends.items()])


def _counts(counts: Counter[str]) -> str:
    return json.dumps(dict(sorted(counts.items())))


async def main(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    processor = FundsCredit(load_settings(), group=args.group, from_beginning=args.from_beginning,
                            until_caught_up=args.until_caught_up)
    if args.until_caught_up:  # a one-off job: a failure ends it with the traceback, not a retry
        if not await processor.run(stop):
            log.error("funds-credit stopped before catching up (group %s): %s", args.group, _counts(processor.counts))
            return 1
        log.info("funds-credit caught up (group %s): %s", args.group, _counts(processor.counts))
        return 0
    while not stop.is_set():
        try:
            await processor.run(stop)
        except Exception:
            log.exception("funds-credit failed; restarting in 1 s")
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
    log.info("funds-credit stopped: %s", _counts(processor.counts))
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--group", default=FUNDS_CREDIT_GROUP,
                        help="the Kafka consumer group whose offsets are read and committed (default: the live "
                             "policy's)")
    parser.add_argument("--from-beginning", action="store_true",
                        help="start at offset 0 of every partition instead of the group's committed offsets "
                             "(with --until-caught-up)")
    parser.add_argument("--until-caught-up", action="store_true",
                        help="stop at the topic's end offsets as of the start, log the counts and exit")
    args = parser.parse_args(argv)
    if args.from_beginning and not args.until_caught_up:
        parser.error("--from-beginning replays the topic once: use it with --until-caught-up")
    if args.until_caught_up and args.group == FUNDS_CREDIT_GROUP:
        parser.error(f"a replay takes its own --group; {FUNDS_CREDIT_GROUP} belongs to the live policy")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    logs.configure()  # JSON lines with the correlation id (services/kernel/logs.py)
    tracing.configure("funds-credit")
    metrics.serve_from_env()
    sys.exit(asyncio.run(main(arguments)))
