"""The live projection runner: applies Kafka events to PostgreSQL read models, exactly once in effect.

Each batch of one partition (or a poll's few events of several partitions together) is applied in ONE database
transaction together with
 - the partitions' checkpoints (next offset), so a crash either keeps both or neither, and
 - the per-stream version each event brings the read model to, so an event delivered twice (the
   relay publishes at least once) or out of turn is recognised and skipped.
On start the runner assigns itself every partition and seeks to the stored checkpoints — Kafka's
own committed offsets are never trusted for correctness. A read model is rebuilt by projecting into
a fresh schema from offset 0 (services/kernel/rebuild.py: the same statements, sent set-based).

Several instances (``shared``) share the partitions through a consumer group instead: on every assignment
each seeks to the stored checkpoints (services/kernel/kafka.py CheckpointSeeker), and a revocation waits for
the batch in flight. Exactly once holds across rebalances because a batch is applied only if the partition's
checkpoint, read under a row lock in the batch's own transaction, has not passed the batch's first offset:
an instance that applies a batch another instance has applied meanwhile (it lost the partition without
being asked, or read it from a stale position) writes nothing, and reads again from the checkpoint.

An event whose values PostgreSQL refuses as data (``asyncpg.DataError``: a NUL in text, an exponent past
``numeric``'s range, a number past ``integer``'s) would fail its batch on every try and stop its partition for
good. The edge refuses such values (services/kernel/bodies.py); should one still reach a topic, the batch is
applied again event by event, each in a savepoint, and the events refused are set aside in ``dead_letters`` with
PostgreSQL's reason — logged as errors, counted by ``dead_lettered`` — while the rest, before and after them,
are applied (services/kernel/refusals.py: the rebuild does the same). A set-aside event counts as passed, as one
that fits no schema does: its stream's later events apply, and a read waiting for its position is answered (from
read models that lack it).

Why aiokafka and not faust-streaming here: see docs/decisions/projector-runtime.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from services.kernel import logs, tracing
from services.kernel.events import Envelope
from services.kernel.kafka import Checkpoints, CheckpointSeeker, assign_from_checkpoints
from services.kernel.projection import Op, Projection, event_ops, install, run_each, run_ops
from services.kernel.refusals import REFUSED, batch_refused, dead_letter, set_aside

log = logging.getLogger("projection")

Batches = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
#: A poll's batches of at most this many records together are applied in one transaction (``poll_once``).
ONE_TRANSACTION_UP_TO = 500


class ProjectionRunner:
    def __init__(
        self, pool: asyncpg.Pool, consumer: AIOKafkaConsumer, projection: Projection, topics: Sequence[str],
        *, schema: str = "public", accept: Callable[[Envelope], bool] | None = None, shared: bool = False,
    ) -> None:
        """``accept``, when given, decides which events are applied: the others are passed over (their
        offsets still count as consumed). The live projector takes every event; a replay "as of" a
        recorded time takes only those recorded by then. ``shared``: the consumer has a group, whose
        instances share the partitions (module docstring)."""
        self.pool = pool
        self.consumer = consumer
        self.projection = projection
        self.topics = list(topics)
        self.schema = schema
        self.q = f'"{schema}"'
        self.applied = 0
        self.skipped = 0
        self.accept = accept
        self.shared = shared
        #: Held while a batch is applied: a revocation waits for it.
        self.applying = asyncio.Lock()
        #: Batches not applied because the checkpoint had passed them (another instance applied them).
        self.stale_batches = 0
        #: Events set aside in ``dead_letters`` because PostgreSQL refused a value of theirs (module docstring).
        self.dead_lettered = 0
        self._registry = {r.source: r for r in projection.registries}

    async def start(self) -> None:
        async with self.pool.acquire() as conn:
            await install(conn, self.projection, self.schema)
        await self.consumer.start()
        if self.shared:
            self.consumer.subscribe(self.topics, listener=CheckpointSeeker(self.consumer, self.checkpoints,
                                                                           self.applying))
            log.info("projection %s into schema %s: partitions shared in a consumer group", self.projection.name,
                     self.schema)
            return
        partitions = await assign_from_checkpoints(self.consumer, self.topics, await self.checkpoints())
        log.info("projection %s into schema %s: %d partitions", self.projection.name, self.schema, len(partitions))

    async def checkpoints(self) -> Checkpoints:
        """The stored checkpoints of every partition."""
        return {
            (r["topic"], r["partition"]): r["next_offset"]
            for r in await self.pool.fetch(f"SELECT * FROM {self.q}.projection_checkpoints")
        }

    async def stop(self) -> None:
        await self.consumer.stop()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.poll_once()

    async def poll_once(self, timeout_ms: int = 200, batch: int = 5000) -> int:
        """Apply what Kafka has, up to ``batch`` records; larger batches mean fewer transactions."""
        batches: Batches = {}
        fetched = await self.consumer.getmany(timeout_ms=timeout_ms, max_records=batch)
        while fetched:
            for tp, records in fetched.items():
                batches.setdefault(tp, []).extend(records)
            room = batch - sum(len(r) for r in batches.values())
            # Top up with what is already buffered; never wait for more.
            fetched = await self.consumer.getmany(timeout_ms=0, max_records=room) if room > 0 else {}
        async with self.applying:
            if self.shared:  # what was fetched for a partition since given to another instance is not ours
                assigned = self.consumer.assignment()
                batches = {tp: records for tp, records in batches.items() if tp in assigned}
            # A few events of many partitions (a live system's polls) go in one transaction: its round trips, not
            # the events, are most of a small batch's cost. Large batches (catching up) are applied concurrently,
            # each partition's in its own transaction on its own connection: while PostgreSQL works on one, Python
            # decodes the next. They never touch the same rows — a record's events, and every read-model row they
            # write, live on one partition.
            if sum(len(records) for records in batches.values()) <= ONE_TRANSACTION_UP_TO:
                groups = [batches] if batches else []
            else:
                groups = [{tp: records} for tp, records in batches.items()]
            for moved in await asyncio.gather(*(self._apply_group(group) for group in groups)):
                for tp, checkpoint in moved.items():
                    if checkpoint is not None and tp in self.consumer.assignment():
                        self.consumer.seek(tp, checkpoint)  # read on from where the read models are
        return sum(len(r) for r in batches.values())

    async def _apply_batch(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> int | None:
        """One partition's batch alone: ``_apply_group`` of it."""
        return (await self._apply_group({tp: records}))[tp]

    async def _apply_group(self, batches: Batches) -> dict[TopicPartition, int | None]:
        """Apply the batches of a few partitions with their checkpoints in one transaction. For each partition, None
        once applied (or when already applied whole), else the checkpoint to read on from: it had moved past the
        batch's start, and nothing of that batch was applied.

        A group PostgreSQL refuses a value of is applied again event by event, setting aside the events refused
        (module docstring): a savepoint per event costs round trips that a group of good events never pays."""
        counted = self.applied
        try:
            return await self._apply(batches, one_by_one=False)
        except REFUSED as exc:
            self.applied = counted  # nothing of that attempt was applied
            for tp, records in batches.items():
                batch_refused(tp, records[0].offset, exc)
            return await self._apply(batches, one_by_one=True)

    async def _apply(self, batches: Batches, *, one_by_one: bool) -> dict[TopicPartition, int | None]:
        # Partitions in one order for every instance: their checkpoint rows are locked in it (no deadlock).
        order = sorted(batches, key=lambda tp: (tp.topic, tp.partition))
        outcome: dict[TopicPartition, int | None] = dict.fromkeys(order)
        decoded = {tp: self._decode(batches[tp]) for tp in order}
        async with self.pool.acquire() as conn, conn.transaction():
            # The checkpoint rows, locked: an instance applying the same partition at the same time waits here for
            # this transaction, then sees the checkpoint it wrote.
            stored = await self._lock_checkpoints(conn, batches, order)
            envelopes: list[tuple[ConsumerRecord[bytes, bytes], Envelope]] = []
            applying: list[TopicPartition] = []
            for tp in order:
                records = batches[tp]
                # Applied only if the checkpoint has not passed the batch's first record: otherwise someone (another
                # instance after a rebalance) applied some of it already. The checkpoint never moves backwards.
                if records[0].offset < stored[tp]:
                    self.stale_batches += 1
                    if records[-1].offset >= stored[tp]:
                        log.info("%s[%d]: batch from %d is stale (checkpoint at %d); reading on from the checkpoint",
                                 tp.topic, tp.partition, records[0].offset, stored[tp])
                        outcome[tp] = stored[tp]
                    continue
                applying.append(tp)
                good, poison = decoded[tp]
                for record, reason in poison:
                    log.error("dead letter %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)
                    await dead_letter(conn, self.q, record, reason)
                envelopes.extend(good)
            if applying:
                await self._apply_events(conn, envelopes, one_by_one)
                ends = [(tp, batches[tp][-1].offset + 1) for tp in applying]
                await conn.execute(
                    f"UPDATE {self.q}.projection_checkpoints c SET next_offset = u.next_offset, updated_at = now()"
                    " FROM unnest($1::text[], $2::int[], $3::bigint[]) AS u(topic, partition, next_offset)"
                    " WHERE c.topic = u.topic AND c.partition = u.partition",
                    [tp.topic for tp, _ in ends], [tp.partition for tp, _ in ends], [end for _, end in ends])
        return outcome

    def _decode(self, records: list[ConsumerRecord[bytes, bytes]]) -> tuple[
            list[tuple[ConsumerRecord[bytes, bytes], Envelope]], list[tuple[ConsumerRecord[bytes, bytes], str]]]:
        """The records' envelopes (those ``accept`` takes), and the records that are no CloudEvent of ours."""
        envelopes: list[tuple[ConsumerRecord[bytes, bytes], Envelope]] = []
        poison: list[tuple[ConsumerRecord[bytes, bytes], str]] = []
        for record in records:
            try:
                envelope = Envelope.from_kafka(record.headers, record.value or b"")
            except (KeyError, ValueError, UnicodeDecodeError) as exc:
                poison.append((record, f"not a Golden Bridge CloudEvent: {exc!r}"))
                continue
            if self.accept is None or self.accept(envelope):
                envelopes.append((record, envelope))
        return envelopes, poison

    async def _lock_checkpoints(self, conn: asyncpg.Connection, batches: Batches,
                                order: list[TopicPartition]) -> dict[TopicPartition, int]:
        """The stored checkpoint of each partition, its row locked; a partition never applied before gets its row
        (at its batch's first offset) first."""
        lock = (f"SELECT topic, partition, next_offset FROM {self.q}.projection_checkpoints"
                " WHERE (topic, partition) IN (SELECT * FROM unnest($1::text[], $2::int[]))"
                " ORDER BY topic, partition FOR UPDATE")
        topics, partitions = [tp.topic for tp in order], [tp.partition for tp in order]
        rows = await conn.fetch(lock, topics, partitions)
        if len(rows) < len(order):
            await conn.execute(
                f"INSERT INTO {self.q}.projection_checkpoints (topic, partition, next_offset)"
                " SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[]) ON CONFLICT DO NOTHING",
                topics, partitions, [batches[tp][0].offset for tp in order])
            rows = await conn.fetch(lock, topics, partitions)
        return {TopicPartition(r["topic"], r["partition"]): r["next_offset"] for r in rows}

    async def _apply_events(self, conn: asyncpg.Connection, envelopes: list[tuple[ConsumerRecord[bytes, bytes],
                            Envelope]], one_by_one: bool) -> None:
        """The events' statements, with the per-stream versions that recognise a duplicate or an event out of turn
        and the applied positions; one read and two bulk writes for the runner's own bookkeeping."""
        keys = sorted({(e.source, e.stream_id) for _, e in envelopes})
        rows = await conn.fetch(
            f"SELECT source, stream_id, version FROM {self.q}.projected_streams"
            " WHERE (source, stream_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
            " ORDER BY source, stream_id FOR UPDATE",
            [k[0] for k in keys], [k[1] for k in keys],
        ) if keys else []
        versions = {(r["source"], r["stream_id"]): r["version"] for r in rows}
        applied: list[Envelope] = []
        # Each record's statements in its own queue, in the order of its events: records never depend on
        # each other's order (module docstring), so their statements may interleave as suits the database.
        ops: dict[tuple[str, str], deque[Op]] = {}
        each: list[tuple[tuple[ConsumerRecord[bytes, bytes], Envelope], list[Op]]] = []
        for record, env in envelopes:
            key = (env.source, env.stream_id)
            current = versions.get(key, 0)
            if env.stream_version != current + 1:
                # <= current: a duplicate from the at-least-once relay. > current + 1: its
                # predecessor failed to publish; the relay re-sends both, in order.
                self.skipped += 1
                if env.stream_version > current + 1:
                    log.warning("%s v%d arrived before v%d; waiting for the relay to resend it",
                                env.stream_id, env.stream_version, current + 1)
                continue
            with logs.correlated(env.correlation_id), tracing.consumed_event(env, record.topic, "project"):
                statements = self._ops(env)
            if one_by_one:
                each.append(((record, env), statements))
            else:
                ops.setdefault(key, deque()).extend(statements)
            versions[key] = env.stream_version
            applied.append(env)
        if one_by_one:
            for (record, env), refusal in await run_each(conn, each):
                self.dead_lettered += 1
                await set_aside(conn, self.q, record, env, refusal)
        else:
            await run_ops(conn, list(ops.values()))
        if applied:
            last = {(e.source, e.stream_id): e for e in applied}
            await conn.execute(
                f"INSERT INTO {self.q}.projected_streams (source, stream_id, version, position)"
                " SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[])"
                " ON CONFLICT (source, stream_id) DO UPDATE"
                " SET version = EXCLUDED.version, position = EXCLUDED.position",
                [k[0] for k in last], [k[1] for k in last], [e.stream_version for e in last.values()],
                [e.position or 0 for e in last.values()],
            )
            await conn.execute(
                f"INSERT INTO {self.q}.applied_events (source, position)"
                " SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING",
                [e.source for e in applied], [e.position or 0 for e in applied],
            )

    def _ops(self, env: Envelope) -> list[Op]:
        self.applied += 1
        return event_ops(self.projection, self._registry.get(env.source), self.q, env)
