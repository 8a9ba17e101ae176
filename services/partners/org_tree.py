"""The router's organisation tree: learnt from gb.membership.events by a follower of its own.

An event names organisations (a member's branch, a transfer's two ends); a township scope reaches them
through their ancestors. Those come from the organisation events, which are keyed by the organisation
and so sit on other partitions than the events that name them: the router's consumer group may read a
member's registration before the branch it belongs to. So the tree is fed by a separate, group-less
consumer that reads gb.membership.events (it keeps nothing but parents), and the router asks it to catch
up — to the topic's end offsets taken at that moment — before it routes an event whose organisations the
tree does not fully know (``unknown``). An organisation still unknown after that was never established as
an event (the county, a seeded root): it is just itself, with no ancestors.

The tree is kept in a snapshot beside the router's other state (``snapshot``): the parents, and the last record
read from each partition — its offset and event id. A restart goes on from there instead of reading the whole
topic again (a county's years of events, which held every partner's deliveries back until they were read: 111,000
events took 5.5 s, measured). The snapshot is trusted only when each of those records is still where it says, with
the same event id; a topic recreated or re-filled (Kafka lost and refilled from the stores, docs/backup.md) fails
that check, and the topic is read from the beginning as before.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.kernel.events import Envelope, EventRegistry, UnknownEventType
from services.kernel.files import write_private
from services.kernel.kafka import event_consumer, topic_partitions
from services.kernel.settings import Settings
from services.partners.contract.outward.catalogue import ORGANISATION
from services.partners.domain.routing import OrgTree, Outward, learn_tree, to_outward

log = logging.getLogger("partners.router.orgs")

RESTART_CAP_SECONDS = 30.0
#: How long an idle fetch of the follower waits: the catch-up a batch may wait on sees new offsets
#: within this (the broker's 500 ms default would add half a second to a partner's latency).
IDLE_FETCH_MS = 50
#: Seconds between two snapshots while the follower reads on (one more when it stops). Each rewrites the whole tree,
#: and any record moves the offsets it holds; a restart after a kill reads on from at most this far back.
SNAPSHOT_EVERY_SECONDS = 60.0
#: How long a restart waits for the records that check its snapshot before it reads the topic from the beginning.
CHECK_SECONDS = 30.0
_SNAPSHOT_FORMAT = 1


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


def unknown_after(tree: OrgTree, items: Sequence[Outward]) -> set[str]:
    """What a batch's organisations leave unknown once the batch's own organisation events are learnt — as the
    follower will learn them, the same facts. A new branch under a known township then needs no wait for the
    follower: before, every branch established made its batch ask Kafka for end offsets and wait for the follower's
    next fetch."""
    for item in items:
        learn_tree(tree, item)
    return unknown(tree, (org for item in items for org in item.places))


class FollowerBehind(RuntimeError):
    """The follower could not catch up in time (it is down or the broker is): the batch is tried again."""


class OrgFollower:
    """Reads ``topic`` from the beginning into ``tree``; ``catch_up`` waits until it has read all there was."""

    def __init__(self, settings: Settings, registry: EventRegistry[Any], topic: str, tree: OrgTree,
                 snapshot: Path | None = None) -> None:
        self.settings = settings
        self.registry = registry
        self.topic = topic
        self.tree = tree
        self.snapshot = snapshot
        #: The next offset to read, per partition: everything below it has been learnt.
        self.done: dict[TopicPartition, int] = {}
        #: The last record read from each partition: its offset and event id (what a snapshot is checked by).
        self.last: dict[int, tuple[int, str]] = {}
        #: Records read by this follower (a restart from a snapshot reads only those after it).
        self.records_read = 0
        self._unsaved = False
        self._saved_at = time.monotonic()
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
        if self._unsaved:  # each record updates the tree and ``last`` together: any moment is a consistent one
            await self._save()
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
                if fresh and not (len(fresh) == len(partitions) and await self._resume(consumer, partitions)):
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
                    if self._unsaved and time.monotonic() - self._saved_at >= SNAPSHOT_EVERY_SECONDS:
                        await self._save()
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
        self.records_read += 1
        wire, event_id = _type_and_id(record.headers)
        self.last[record.partition] = (record.offset, event_id or "")
        self._unsaved = True
        if wire in self._other_types:  # known from its header alone: most of a topic is member, dues, meeting events
            return
        try:
            envelope = Envelope.from_kafka(list(record.headers), record.value)
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

    async def _resume(self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]) -> bool:
        """Go on from the snapshot when each record it names is still where it says: the parents join the tree and
        every partition is read from after that record. False, with nothing changed, when there is no snapshot or
        it does not hold."""
        found = _read_snapshot(self.snapshot, self.topic) if self.snapshot else None
        if found is None:
            return False
        parents, last = found
        numbers = {tp.partition for tp in partitions}
        if not last.keys() <= numbers:
            log.warning("organisation snapshot %s names partitions the topic does not have: reading it all",
                        self.snapshot)
            return False
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                for tp in partitions:  # one record each, so nothing is learnt before the whole snapshot is checked
                    if tp.partition not in last:
                        continue
                    offset, event_id = last[tp.partition]
                    consumer.seek(tp, offset)
                    records: list[ConsumerRecord[Any, Any]] = []
                    while not records:
                        records = (await consumer.getmany(tp, timeout_ms=1000, max_records=1)).get(tp, [])
                    if (records[0].offset, _type_and_id(records[0].headers)[1]) != (offset, event_id):
                        log.warning("organisation snapshot %s does not match %s[%d]@%d (the topic was recreated or "
                                    "refilled?): reading it all", self.snapshot, tp.topic, tp.partition, offset)
                        return False
        except TimeoutError:
            log.warning("organisation snapshot %s could not be checked in %.0f s: reading the topic all",
                        self.snapshot, CHECK_SECONDS)
            return False
        for tp in partitions:
            if tp.partition not in last:
                await consumer.seek_to_beginning(tp)  # nothing of it was read when the snapshot was taken
        self.tree.parents.update(parents)
        self.last.update(last)
        log.info("organisation tree: %d organisations from %s; reading on after its %d records", len(parents),
                 self.snapshot, len(last))
        return True

    async def _save(self) -> None:
        if self.snapshot is None:
            return
        payload = orjson.dumps({"format": _SNAPSHOT_FORMAT, "topic": self.topic, "parents": self.tree.parents,
                                "last": {str(p): [o, i] for p, (o, i) in self.last.items()}})
        self._unsaved, self._saved_at = False, time.monotonic()
        try:
            await asyncio.to_thread(write_private, self.snapshot, payload)
        except OSError as exc:  # a snapshot only saves time: the follower goes on without it
            log.warning("organisation snapshot %s not written (%s)", self.snapshot, exc)


def _type_and_id(headers: Sequence[tuple[str, bytes]]) -> tuple[str | None, str | None]:
    """The CloudEvents type and id of a record, from its headers alone."""
    wire = event_id = None
    for key, value in headers:
        if key == "ce_type":
            wire = value.decode()
        elif key == "ce_id":
            event_id = value.decode()
    return wire, event_id


def _read_snapshot(path: Path, topic: str) -> tuple[dict[str, str | None], dict[int, tuple[int, str]]] | None:
    """The parents and last records of a snapshot of ``topic``; None when there is none or it cannot be read."""
    try:
        data = orjson.loads(path.read_bytes())
        if data.get("format") != _SNAPSHOT_FORMAT or data.get("topic") != topic:
            return None
        parents = {str(org): None if parent is None else str(parent) for org, parent in data["parents"].items()}
        last = {int(p): (int(offset), str(event_id)) for p, (offset, event_id) in data["last"].items()}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("organisation snapshot %s cannot be read (%s): reading the topic from the beginning", path, exc)
        return None
    return parents, last
