"""The router's organisation tree: learnt from gb.membership.events by a follower of its own.

An event names organisations (a member's branch, a transfer's two ends); a township scope reaches them
through their ancestors. Those come from the organisation events, which are keyed by the organisation
and so sit on other partitions than the events that name them: the router's consumer group may read a
member's registration before the branch it belongs to. So the tree is fed by a separate, group-less
consumer that reads gb.membership.events from the beginning on every start (it keeps nothing but
parents), and the router asks it to catch up — to the topic's end offsets taken at that moment — before
it routes an event whose organisations the tree does not fully know (``unknown``). An organisation
still unknown after that was never established as an event (the county, a seeded root): it is just
itself, with no ancestors.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.kernel.events import Envelope, EventRegistry, UnknownEventType
from services.kernel.kafka import event_consumer, topic_partitions
from services.kernel.settings import Settings
from services.partners.contract.outward.catalogue import ORGANISATION
from services.partners.domain.routing import OrgTree, learn_tree, to_outward

log = logging.getLogger("partners.router.orgs")

RESTART_CAP_SECONDS = 30.0
#: How long an idle fetch of the follower waits: the catch-up a batch may wait on sees new offsets
#: within this (the broker's 500 ms default would add half a second to a partner's latency).
IDLE_FETCH_MS = 50


def unknown(tree: OrgTree, orgs: Iterable[str]) -> set[str]:
    """The organisations on the way up from ``orgs`` that the tree has never heard of: an organisation
    not learnt yet, or the first ancestor of one that was. Empty when every chain ends at a root the
    tree knows (an organisation learnt with no parent)."""
    missing: set[str] = set()
    seen: set[str] = set()
    for org in orgs:
        current: str | None = org
        while current is not None and current not in seen:
            seen.add(current)
            if not tree.knows(current):
                missing.add(current)
                break
            current = tree.parents[current]
    return missing


class FollowerBehind(RuntimeError):
    """The follower could not catch up in time (it is down or the broker is): the batch is tried again."""


class OrgFollower:
    """Reads ``topic`` from the beginning into ``tree``; ``catch_up`` waits until it has read all there was."""

    def __init__(self, settings: Settings, registry: EventRegistry[Any], topic: str, tree: OrgTree) -> None:
        self.settings = settings
        self.registry = registry
        self.topic = topic
        self.tree = tree
        #: The next offset to read, per partition: everything below it has been learnt.
        self.done: dict[TopicPartition, int] = {}
        #: Wire types seen that never become an organisation event: not decoded again.
        self._other_types: set[str] = set()
        self._consumer: AIOKafkaConsumer | None = None
        #: End offsets are asked on a client of their own: on the follower's, the request would queue
        #: behind its idle fetch (one connection answers in order).
        self._offsets: AIOKafkaConsumer | None = None
        self._progress = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="partners-router-orgs")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._offsets is not None:
            await self._offsets.stop()
            self._offsets = None

    async def catch_up(self, timeout: float) -> None:
        """Wait until everything in the topic right now has been learnt; FollowerBehind after ``timeout``."""
        try:
            async with asyncio.timeout(timeout):
                async with self._progress:  # a follower that is (re)starting is waited for too
                    await self._progress.wait_for(lambda: self._consumer is not None and bool(self.done))
                ends = await (await self._offsets_client()).end_offsets(list(self.done))
                async with self._progress:
                    await self._progress.wait_for(lambda: all(self.done.get(tp, 0) >= end for tp, end in ends.items()))
        except TimeoutError:
            raise FollowerBehind(f"the organisation follower of {self.topic} did not catch up in {timeout:.0f} s") \
                from None

    async def _offsets_client(self) -> AIOKafkaConsumer:
        if self._offsets is None:
            client = event_consumer(self.settings, "gb-partners-router-org-offsets")
            await client.start()
            self._offsets = client
        return self._offsets

    async def _run(self) -> None:
        backoff = 1.0
        while True:
            consumer = event_consumer(self.settings, "gb-partners-router-orgs", fetch_max_wait_ms=IDLE_FETCH_MS)
            try:
                await consumer.start()
                partitions = await topic_partitions(consumer, self.topic)
                consumer.assign(partitions)
                fresh = [tp for tp in partitions if tp not in self.done]
                for tp in partitions:
                    if tp in self.done:  # a restart after a failure goes on where it was
                        consumer.seek(tp, self.done[tp])
                if fresh:
                    await consumer.seek_to_beginning(*fresh)
                self._consumer = consumer
                while True:
                    batches = await consumer.getmany(timeout_ms=IDLE_FETCH_MS, max_records=2000)
                    for records in batches.values():
                        for record in records:
                            self._learn(record)
                    for tp in partitions:
                        self.done[tp] = await consumer.position(tp)
                    async with self._progress:
                        self._progress.notify_all()
                    backoff = 1.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a broker outage: read on after a pause, never fatal
                log.warning("the organisation follower failed (%s: %s); again in %.0f s", type(exc).__name__, exc,
                            backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, RESTART_CAP_SECONDS)
            finally:
                self._consumer = None
                await consumer.stop()

    def _learn(self, record: ConsumerRecord[Any, Any]) -> None:
        try:
            envelope = Envelope.from_kafka(list(record.headers), record.value)
            if envelope.type in self._other_types:
                return
            event = self.registry.decode(envelope.type, envelope.data)
        except (UnknownEventType, KeyError, ValueError) as exc:
            # Not an organisation event this router could use; the main stream stops on it if it matters.
            log.warning("organisation follower skipped %s[%d]@%d (%s)", record.topic, record.partition,
                        record.offset, type(exc).__name__)
            return
        item = to_outward(event)
        if item is None or item.kind is not ORGANISATION:
            self._other_types.add(envelope.type)
            return
        learn_tree(self.tree, item)
