"""Rebuild: every event of the topics projected again into a fresh schema, all or nothing, at the database's pace.

The live runner (services/kernel/projection_runner.py) must survive a crash after any batch, so each batch reads and
writes the per-stream versions and sends its statements as they are. A rebuild keeps nothing after a crash — it
starts again from offset 0 — so it
 - keeps the per-stream versions in memory, never reading them back, and writes a stream's ``projected_streams``
   row by COPY in the batch that begins it (an upsert in those that carry it on);
 - writes each run of one INSERT statement set-based (services/kernel/bulk.py), ``applied_events`` by COPY;
 - reads and decodes while the database writes: each partition's batches go, in offset order, to one of a few
   connections (lanes), each committing one batch at a time with its partition's checkpoint (so ``lag`` and a
   count of ``applied_events`` show how far it is);
 - makes the read models' non-unique indexes once their rows are in (``secondary_indexes``): sorting a table's keys
   once is cheaper than inserting them row by row;
 - marks the schema built (its fingerprint, ``mark_built``) in its last transaction: a rebuild stopped half-way
   leaves a schema that ``install`` drops and projects again, never one a live runner would go on from.
Duplicates and events out of turn are recognised by their stream versions as the live runner does, and each
record's statements run in the order of its events, so the rebuilt read models equal the live ones row for row
(tests/e2e/test_rebuild_read_models.py). So do events whose values PostgreSQL refuses (recorded before the edge
refused such values): a batch refused is rolled back and written again event by event, each event's own statements
in a savepoint, the events refused set aside in ``dead_letters`` as the live runner sets them aside
(services/kernel/refusals.py) — at the cost of a round trip per event, paid by that batch alone. It logs its
progress — events written, events/s, time left, events set aside — as it goes.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from services.kernel.bulk import Bulk
from services.kernel.events import Envelope
from services.kernel.kafka import topic_partitions
from services.kernel.projection import Op, Projection, create_tables, event_ops, mark_built, run_each, run_ops
from services.kernel.refusals import REFUSED_BY_COPY, batch_refused, dead_letter, set_aside

log = logging.getLogger("projection")

Key = tuple[str, str]
#: Records decoded between two turns of the event loop's other tasks: a lane waits for its turn after each of its
#: ten or so round trips a batch, and with 256 that wait was most of its time (measured).
YIELD_EVERY = 32
#: A read model's index that is not unique: no statement's outcome depends on it (ON CONFLICT infers unique ones
#: only), and the read models' statements find their rows by primary key, so a rebuild may make it last.
_SECONDARY_INDEX = re.compile(r"^[ \t]*CREATE INDEX IF NOT EXISTS [^;]*;", re.M)


def secondary_indexes(ddl: str) -> tuple[str, list[str]]:
    """``ddl`` without its non-unique indexes (``CREATE INDEX``, not ``CREATE UNIQUE INDEX``), and those."""
    return _SECONDARY_INDEX.sub("", ddl), [m.strip() for m in _SECONDARY_INDEX.findall(ddl)]


@dataclass
class _Batch:
    """One partition's records, decoded into what to write: each record's statements in the order of its events."""

    tp: TopicPartition
    records: int
    next_offset: int
    #: The records themselves, and the offsets of those passed over (duplicates, events out of turn): what a batch
    #: PostgreSQL refuses is written again from, event by event (``Rebuild._write_each``).
    sent: list[ConsumerRecord[bytes, bytes]] = field(default_factory=list)
    passed_over: list[int] = field(default_factory=list)
    ops: list[deque[Op]] = field(default_factory=list)
    applied: list[tuple[str, int]] = field(default_factory=list)
    poison: list[tuple[ConsumerRecord[bytes, bytes], str]] = field(default_factory=list)
    #: ``projected_streams`` rows: of the streams this batch begins, and of those it carries on.
    begun: list[tuple[str, str, int, int]] = field(default_factory=list)
    carried_on: list[tuple[str, str, int, int]] = field(default_factory=list)


class _Lane:
    """One connection writing the batches it is given, one transaction each, in the order given."""

    def __init__(self, rebuild: Rebuild, conn: asyncpg.Connection) -> None:
        self.queue: asyncio.Queue[_Batch | None] = asyncio.Queue(maxsize=2)
        self.task = asyncio.create_task(self._drain(rebuild, conn))

    async def put(self, batch: _Batch | None) -> None:
        """Queue ``batch``; raises what stopped the lane, rather than wait for a lane that no longer writes."""
        putting = asyncio.ensure_future(self.queue.put(batch))
        await asyncio.wait({putting, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if not putting.done():
            putting.cancel()
            self.task.result()
            raise RuntimeError("a rebuild lane stopped before its last batch")

    async def _drain(self, rebuild: Rebuild, conn: asyncpg.Connection) -> None:
        bulk = Bulk(conn)
        while (batch := await self.queue.get()) is not None:
            if not await rebuild.write(conn, bulk, batch):
                # The refused transaction took with it the staging tables ``bulk`` made in it: a new Bulk, on a
                # connection rid of its predecessor's tables (it names its own afresh) and of the statements asyncpg
                # keeps for them (a COPY encodes its rows by the columns of the table its statement first found).
                await conn.execute("DISCARD TEMP")
                await conn.reload_schema_state()
                bulk = Bulk(conn)


class Rebuild:
    def __init__(self, dsn: str, consumer: AIOKafkaConsumer, projection: Projection, topics: Sequence[str], *,
                 schema: str, lanes: int = 3, batch: int = 5000, progress_every: float = 2.0) -> None:
        """``lanes`` connections write concurrently (measured on the bench's 100,000 events: with two, the reader
        waited for them a fifth of the time, with three a twentieth); ``batch`` records at most are read at a time."""
        self.dsn = dsn
        self.consumer = consumer
        self.projection = projection
        self.topics = list(topics)
        self.schema = schema
        self.q = f'"{schema}"'
        self.lanes = lanes
        self.batch = batch
        self.progress_every = progress_every
        self.applied = 0
        self.skipped = 0
        #: Events set aside in ``dead_letters`` because PostgreSQL refused a value of theirs (module docstring).
        self.dead_lettered = 0
        #: Records whose batch is committed, of ``total`` on the topics.
        self.written = 0
        self.total = 0
        #: (source, stream id) → (version, position) of its last applied event.
        self.versions: dict[Key, tuple[int, int]] = {}
        self._registry = {r.source: r for r in projection.registries}
        self._zero_positions: set[str] = set()
        self._sizes: dict[TopicPartition, int] = {}
        self._started = time.monotonic()

    async def run(self, stop: asyncio.Event) -> bool:
        """Drop the schema, project every event into it, mark it built; False when stopped before the end.

        The lanes commit asynchronously (``synchronous_commit`` off): a crash may lose their last commits, but a
        rebuild that does not end starts again from offset 0 anyway, and the last transaction, which marks the
        schema built, waits for the WAL flush — of every earlier commit too, the WAL being flushed in order."""
        conns: list[asyncpg.Connection] = []
        try:
            conns.extend(await asyncio.gather(*(
                asyncpg.connect(self.dsn, server_settings={"synchronous_commit": "off"}) for _ in range(self.lanes))))
            try:
                # Kafka's first fetches come in while the schema is made.
                _, (partitions, end) = await asyncio.gather(self._create(conns[0]), self._assign())
                if not await self._project(conns, partitions, end, stop):
                    return False
                await self._index(conns)
                async with conns[0].transaction():
                    await conns[0].execute("SET LOCAL synchronous_commit = on")
                    await mark_built(conns[0], self.projection, self.q)
                return True
            finally:
                await self.consumer.stop()
        finally:
            await asyncio.gather(*(conn.close() for conn in conns))

    async def _create(self, conn: asyncpg.Connection) -> None:
        """The schema's tables; their non-unique indexes come after the rows (``_index``), the schema being marked
        built with the whole DDL's fingerprint."""
        tables, _ = secondary_indexes(self.projection.ddl)
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('gb_projection_schema'))")
            await conn.execute(f"DROP SCHEMA IF EXISTS {self.q} CASCADE")
            await create_tables(conn, replace(self.projection, ddl=tables), self.q)

    async def _index(self, conns: list[asyncpg.Connection]) -> None:
        """The non-unique indexes ``_create`` left out, made on every connection at once, each taking the next."""
        started = time.monotonic()
        _, indexes = secondary_indexes(self.projection.ddl)
        todo = iter(indexes)  # one iterator for all: a connection done with its index takes the next left

        async def make(conn: asyncpg.Connection) -> None:
            for sql in todo:
                await conn.execute(sql.format(schema=self.q))

        await asyncio.gather(*(make(conn) for conn in conns))
        log.info("rebuild into schema %s: %d indexes made in %.1f s", self.schema, len(indexes),
                 time.monotonic() - started)

    async def _assign(self) -> tuple[list[TopicPartition], dict[TopicPartition, int]]:
        """Every partition of the topics, read from its beginning; the partitions and their end offsets now."""
        await self.consumer.start()
        partitions = [tp for topic in self.topics for tp in await topic_partitions(self.consumer, topic)]
        begin = await self.consumer.beginning_offsets(partitions)
        end = await self.consumer.end_offsets(partitions)
        self.consumer.assign(partitions)
        for tp in partitions:
            self.consumer.seek(tp, begin[tp])
        self._sizes = {tp: end[tp] - begin[tp] for tp in partitions}
        self.total = sum(self._sizes.values())
        return partitions, end

    async def _project(self, conns: list[asyncpg.Connection], partitions: list[TopicPartition],
                       end: dict[TopicPartition, int], stop: asyncio.Event) -> bool:
        log.info("rebuild of projection %s into schema %s: %d partitions, %s events", self.projection.name,
                 self.schema, len(partitions), f"{self.total:,}")
        self._started = time.monotonic()
        lanes = [_Lane(self, conn) for conn in conns]
        # A partition's batches keep to one lane, in order; the largest partitions are shared out first.
        lane_of: dict[TopicPartition, _Lane] = {}
        load = [0] * len(lanes)
        for tp in sorted(partitions, key=lambda tp: -self._sizes[tp]):
            least = load.index(min(load))
            lane_of[tp] = lanes[least]
            load[least] += self._sizes[tp]
        progress = asyncio.create_task(self._progress())
        try:
            pending = {tp for tp in partitions if self._sizes[tp]}
            while pending:
                if stop.is_set():
                    return False
                fetched = await self.consumer.getmany(*pending, timeout_ms=200, max_records=self.batch)
                for tp, records in fetched.items():
                    await lane_of[tp].put(await self._prepare(tp, records))
                pending = {tp for tp in pending if await self.consumer.position(tp) < end[tp]}
                if not pending:  # events may have come meanwhile: the rebuild ends caught up
                    newer = await self.consumer.end_offsets(partitions)
                    pending = {tp for tp in partitions if newer[tp] > end[tp]}
                    self.total += sum(newer[tp] - end[tp] for tp in partitions)
                    end = newer
            for lane in lanes:
                await lane.put(None)
            await asyncio.gather(*(lane.task for lane in lanes))
            return True
        finally:
            progress.cancel()
            for lane in lanes:
                lane.task.cancel()
            self._report()

    async def _prepare(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> _Batch:
        """Decode a partition's records and work out their statements: the CPU's part, done while the lanes write —
        handing them the event loop every few dozen records, or a lane whose statement is done would wait for the
        whole batch to be decoded before sending its next."""
        batch = _Batch(tp=tp, records=len(records), next_offset=records[-1].offset + 1, sent=records)
        ops: dict[Key, deque[Op]] = {}
        versions = self.versions
        begun: set[Key] = set()
        carried_on: set[Key] = set()
        for n, record in enumerate(records):
            if n % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
            try:
                env = Envelope.from_kafka(record.headers, record.value or b"")
            except (KeyError, ValueError, UnicodeDecodeError) as exc:
                batch.poison.append((record, f"not a Golden Bridge CloudEvent: {exc!r}"))
                continue
            key = (env.source, env.stream_id)
            current = versions.get(key, (0, 0))[0]
            if env.stream_version != current + 1:  # as in ProjectionRunner._apply_batch
                self.skipped += 1
                batch.passed_over.append(record.offset)
                if env.stream_version > current + 1:
                    log.warning("%s v%d arrived before v%d; waiting for the relay to resend it",
                                env.stream_id, env.stream_version, current + 1)
                continue
            position = env.position or 0
            (carried_on if current else begun).add(key)
            versions[key] = (env.stream_version, position)
            self.applied += 1
            statements = event_ops(self.projection, self._registry.get(env.source), self.q, env)
            if statements:
                queued = ops.get(key)
                if queued is None:
                    ops[key] = deque(statements)
                else:
                    queued.extend(statements)
            if position or env.source not in self._zero_positions:  # (source, 0) once, as ON CONFLICT would
                batch.applied.append((env.source, position))
                if not position:
                    self._zero_positions.add(env.source)
        batch.ops = list(ops.values())
        batch.begun = [(*key, *versions[key]) for key in begun]
        batch.carried_on = [(*key, *versions[key]) for key in carried_on - begun]
        return batch

    async def write(self, conn: asyncpg.Connection, bulk: Bulk, batch: _Batch) -> bool:
        """One batch in one transaction with its partition's checkpoint; False when PostgreSQL refused a value of it:
        that transaction rolled back (with any staging table ``bulk`` made in it), the batch is written again event
        by event, in a transaction of its own (module docstring)."""
        try:
            async with conn.transaction():
                await self._poison(conn, batch)
                await run_ops(conn, batch.ops, bulk.send)
                await self._bookkeeping(conn, batch)
        except REFUSED_BY_COPY as exc:
            batch_refused(batch.tp, batch.sent[0].offset, exc)
            async with conn.transaction():
                await self._poison(conn, batch)
                await self._write_each(conn, batch)
                await self._bookkeeping(conn, batch)
            self.written += batch.records
            return False
        self.written += batch.records
        return True

    async def _poison(self, conn: asyncpg.Connection, batch: _Batch) -> None:
        for record, reason in batch.poison:
            log.error("dead letter %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)
            await dead_letter(conn, self.q, record, reason)

    async def _write_each(self, conn: asyncpg.Connection, batch: _Batch) -> None:
        """The batch's events again, each with the statements the projection gives for it alone, in a savepoint of
        its own; those PostgreSQL refuses set aside as the live runner sets them aside. The events are those
        ``_prepare`` applied: it counted them, and moved their streams' versions on, already."""
        passed = {*batch.passed_over, *(record.offset for record, _ in batch.poison)}
        each = []
        for record in batch.sent:
            if record.offset not in passed:
                env = Envelope.from_kafka(record.headers, record.value or b"")
                each.append(((record, env), event_ops(self.projection, self._registry.get(env.source), self.q, env)))
        for (record, env), refusal in await run_each(conn, each):
            self.dead_lettered += 1
            await set_aside(conn, self.q, record, env, refusal)

    async def _bookkeeping(self, conn: asyncpg.Connection, batch: _Batch) -> None:
        """The batch's ``applied_events`` and ``projected_streams`` rows, and its partition's checkpoint."""
        tp = batch.tp
        if batch.applied:
            await self._applied(conn, batch.applied)
        if batch.begun:
            await conn.copy_records_to_table("projected_streams", schema_name=self.schema, records=batch.begun)
        if batch.carried_on:
            await conn.execute(
                f"INSERT INTO {self.q}.projected_streams (source, stream_id, version, position)"
                " SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[])"
                " ON CONFLICT (source, stream_id) DO UPDATE"
                " SET version = EXCLUDED.version, position = EXCLUDED.position",
                *(list(column) for column in zip(*batch.carried_on, strict=True)))
        await conn.execute(
            f"INSERT INTO {self.q}.projection_checkpoints (topic, partition, next_offset) VALUES ($1, $2, $3)"
            " ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()",
            tp.topic, tp.partition, batch.next_offset,
        )

    async def _applied(self, conn: asyncpg.Connection, rows: list[tuple[str, int]]) -> None:
        """COPY the batch's ``applied_events`` rows; should a position come twice (a store's positions are unique,
        so never yet), insert them as the live runner does, the first kept."""
        try:
            async with conn.transaction():  # a savepoint: a failed COPY leaves the batch's transaction usable
                await conn.copy_records_to_table("applied_events", schema_name=self.schema, records=rows)
        except asyncpg.UniqueViolationError:
            await conn.execute(
                f"INSERT INTO {self.q}.applied_events (source, position)"
                " SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING",
                [r[0] for r in rows], [r[1] for r in rows])

    async def _progress(self) -> None:
        while True:
            await asyncio.sleep(self.progress_every)
            self._report()

    def _report(self) -> None:
        elapsed = time.monotonic() - self._started
        rate = self.written / elapsed if elapsed > 0 else 0.0
        left = max(0, self.total - self.written)
        eta = f"about {left / rate:.0f} s left" if rate else "time left unknown"
        log.info("rebuild into schema %s: %s of %s events (%.0f%%), %s events/s, %s, %s set aside as refused by "
                 "PostgreSQL", self.schema, f"{self.written:,}", f"{self.total:,}",
                 100 * self.written / max(1, self.total), f"{rate:,.0f}", eta, f"{self.dead_lettered:,}")

