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
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import signal
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaConsumer

from services.investment.contract.events import EVENTS, FundsArrived, RegistrantKind
from services.investment.contract.events import REGISTRY as INVESTMENT
from services.kernel.events import Envelope
from services.kernel.kafka import event_consumer
from services.kernel.settings import Settings, load_settings
from services.kernel.store import CommandMeta, EventStore
from services.kernel.topics import event_topic
from services.pure.errors import DomainError
from services.pure.identity import Actor, Role
from services.secondment import handlers
from services.secondment.contract.commands import RecordContribution
from services.secondment.contract.events import REGISTRY as SECONDMENT
from services.secondment.contract.events import ContributionKind

log = logging.getLogger("funds-credit")

GROUP = "gb-policy-funds-credit"
FUNDS_ARRIVED = next(name for name, kind in EVENTS.items() if kind is FundsArrived)
#: The policy acts for the county organisation department, under its own name in the events' actor.
POLICY_ACTOR = Actor(subject="policy-funds-credit", role=Role.COUNTY_ADMIN, org_id="county")


@dataclass(frozen=True, kw_only=True)
class Outcome:
    credited: int = 0
    replayed: int = 0
    not_seconded: int = 0
    refused: int = 0


def contribution_for(event: FundsArrived, env: Envelope, secondment_id: str) -> RecordContribution:
    return RecordContribution(
        actor=POLICY_ACTOR, today=env.time.date(), secondment_id=secondment_id,
        contribution_id=f"funds:{event.lead_id}:{event.instalment}", kind=ContributionKind.CAPITAL,
        description=f"funds arrived on lead {event.lead_id}, instalment {event.instalment} (voucher {event.reference})",
        contributed_on=event.arrived_on, amount_yuan=event.amount, source_ref=f"{env.source}#{env.id}",
    )


def meta_for(env: Envelope) -> CommandMeta:
    return CommandMeta(
        actor=POLICY_ACTOR.label, occurred_at=datetime.now(UTC), correlation_id=env.correlation_id,
        causation_id=str(env.id), idempotency_key=f"funds-credit:{env.id}",
        fingerprint=hashlib.sha256(f"{env.source}#{env.id}".encode()).hexdigest(),
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
    try:
        result = await handlers.secondment_command(store, contribution_for(event, env, secondment.secondment_id),
                                                   meta_for(env))
    except DomainError as exc:
        # The rules refuse it (e.g. the money arrived before the departure): nothing is written, so a
        # replay refuses it the same way. Logged for the sending unit to record by hand if it is theirs.
        log.warning("funds on lead %s not credited to %s: %s", event.lead_id, secondment.secondment_id, exc)
        return "refused"
    return "replayed" if result.replayed else "credited"


class FundsCredit:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.counts: dict[str, int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        pool = await asyncpg.create_pool(self.settings.dsn("secondment"), min_size=1, max_size=4)
        store: EventStore[object] = EventStore(pool, SECONDMENT)
        consumer: AIOKafkaConsumer = event_consumer(self.settings, "gb-funds-credit", group_id=GROUP)
        await store.start()
        await handlers.install(pool)
        consumer.subscribe([event_topic("investment")])
        await consumer.start()
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=500)
                for records in batches.values():
                    for record in records:  # one partition's records in order
                        outcome = await handle(store, Envelope.from_kafka(record.headers, record.value or b""))
                        self.counts[outcome] = self.counts.get(outcome, 0) + 1
                if batches:
                    await consumer.commit()  # only after the batch is written: a crash redelivers, never skips
        finally:
            await consumer.stop()
            await store.stop()
            await pool.close()


async def main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    processor = FundsCredit(load_settings())
    while not stop.is_set():
        try:
            await processor.run(stop)
        except Exception:
            log.exception("funds-credit failed; restarting in 1 s")
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
    log.info("funds-credit stopped: %s", processor.counts)


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(main())
