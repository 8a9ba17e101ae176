"""As-of replay: the gateway's read models as they stood at a recorded time, rebuilt from the event log.

A question "as of T" (T a recorded time) is answered from a schema of its own, ``as_of_<id>``, holding the
same read models as the live ``public`` schema but built only from the events the stores had recorded at
or before T. Each store's ``recorded_at`` grows with its positions (appends are serialised by an advisory
lock), so "recorded by T" is, per store, every position up to one: the answer reflects exactly one
position per service, and this module records which.

The replay reads every partition of every event topic from its first offset to the end offset seen when
the build starts, without a consumer group (nothing is committed to Kafka), through the same
:class:`~services.kernel.projection.ProjectionRunner` the live projector uses — the same projections,
batching, version checks and dead letters — with one filter: events recorded after T are passed over.
Events published before the relay carried ``recordedat`` have no recorded time; they are kept (they are
older than the header) and counted as ``undated``.

Erasure binds history too (PIPL; crypto-shredding, docs/architecture.md): the county as it stood is shown
minus what has since been erased. An erasure recorded after T is set aside while the log is read and applied
once it is read to the end, by the read models' own statements, on the rows as they stood at T — never through
the runner, whose version check would pass it over (its stream's events between T and the erasure are not
applied). A schema built before an erasure it lacks is built again when next asked
(services/gateway/as_of_queue.py ``request``).

Builds are requested through the table ``as_of.builds`` (services/gateway/as_of_queue.py, the asking side and
its limits: the gateway inserts a row, ``NOTIFY gb_as_of``) and run here, in the projector process, which holds
the Kafka principal allowed to read the event topics (the gateway's may only describe them). Progress — events
read of the total, events applied — is written to the row as the build goes, so any gateway process can report
it. A build killed with its process is started again by the next builder; a finished schema is kept for the
next questions about the same T, up to ``KEEP`` schemas, the least recently asked dropped first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import asyncpg
import orjson

from services import system
from services.gateway.as_of_queue import CHANNEL, KEEP, fingerprint, install_control, schema_of
from services.gateway.readmodels import PROJECTION
from services.kernel.events import Envelope
from services.kernel.kafka import event_consumer
from services.kernel.projection import Op, event_ops
from services.kernel.projection_runner import ProjectionRunner
from services.kernel.settings import Settings
from services.membership.contract.events import REGISTRY as MEMBERSHIP
from services.membership.contract.events.members import EVENTS as MEMBER_EVENTS
from services.membership.contract.events.members import PersonalDataErased

log = logging.getLogger("as-of")

#: A queued build nobody has asked about for this long is abandoned before it starts.
ABANDON_AFTER_SECONDS = 120
#: The events that erase a person, by (source, wire name). Only membership erases: the workers register keeps
#: no name, ID number or phone (docs/workers.md), and no other service records a person's personal data.
ERASURES = frozenset((MEMBERSHIP.source, name) for name, event in MEMBER_EVENTS.items() if event is PersonalDataErased)
_REGISTRIES = {registry.source: registry for registry in PROJECTION.registries}

@dataclass
class Replayed:
    """What a replay did: events read from the log (of the total), applied, and the positions reflected."""

    as_of: datetime
    events_total: int = 0
    events_read: int = 0
    events_applied: int = 0
    undated: int = 0
    positions: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: Erasures recorded after ``as_of`` (by event id: the relay may publish one twice), applied at the end.
    erasures: dict[UUID, Envelope] = field(default_factory=dict)

    def keep(self, env: Envelope) -> bool:
        """The replay's filter: only events recorded at or before ``as_of``. A later erasure is set aside for
        :func:`erasure_ops`: passed to the runner, it would arrive ahead of its stream's version (the events
        between T and it are passed over) and be skipped — and were it forced through, it could precede an
        earlier event of its stream that a relay resends later, which would write the person back. Its
        position is not counted: the answer reflects the log up to ``positions``, and the erasures since."""
        if env.recorded_at is None:
            self.undated += 1
        elif env.recorded_at > self.as_of:
            if (env.source, env.type) in ERASURES:
                self.erasures[env.id] = env
            return False
        if env.position is not None and env.position > self.positions.get(env.source, 0):
            self.positions[env.source] = env.position
        return True


Progress = Callable[[Replayed], Awaitable[None]]


async def replay(settings: Settings, pool: asyncpg.Pool, as_of: datetime, schema: str,
                 progress: Progress | None = None) -> Replayed:
    """Project every event recorded at or before ``as_of`` into ``schema`` (dropped first), from offset 0 to
    the end offsets seen at the start; ``progress`` is called after each batch."""
    done = Replayed(as_of=as_of)
    started = time.monotonic()
    await pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    consumer = event_consumer(settings, f"gb-as-of-{schema}")
    runner = ProjectionRunner(pool, consumer, PROJECTION, system.topics(), schema=schema, accept=done.keep)
    try:
        await runner.start()
        partitions = sorted(consumer.assignment())
        first = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        done.events_total = sum(ends[tp] - first[tp] for tp in partitions)
        while True:
            reached = {(r["topic"], r["partition"]): r["next_offset"] for r in await pool.fetch(
                f'SELECT topic, partition, next_offset FROM "{schema}".projection_checkpoints')}
            at = {tp: min(max(reached.get((tp.topic, tp.partition), first[tp]), first[tp]), ends[tp])
                  for tp in partitions}
            done.events_read = sum(at[tp] - first[tp] for tp in partitions)
            done.events_applied = runner.applied
            done.seconds = time.monotonic() - started
            if progress is not None:
                await progress(done)
            if all(at[tp] >= ends[tp] for tp in partitions):
                await _erase(pool, schema, done.erasures.values())
                return done
            await runner.poll_once()
    finally:
        await runner.stop()


def erasure_ops(q: str, erasures: Iterable[Envelope]) -> list[Op]:
    """The statements that erase each person in the read models of schema ``q`` (quoted): those the live
    projection runs for the same events, so an as-of answer shows an erased person exactly as a live one does.
    Each writes only the person's own rows and sets what erasure sets whatever the row holds, so applied after
    the whole replay they act on the final state, in any order."""
    return [op for env in erasures for op in event_ops(PROJECTION, _REGISTRIES.get(env.source), q, env)]


async def _erase(pool: asyncpg.Pool, schema: str, erasures: Iterable[Envelope]) -> None:
    ops = erasure_ops(f'"{schema}"', erasures)
    if not ops:
        return
    async with pool.acquire() as conn, conn.transaction():
        for sql, args in ops:
            await conn.execute(sql, *args)


async def replay_as_of(settings: Settings, as_of: datetime, *, schema: str = "as_of_bench") -> tuple[int, float]:
    """Bench hook: build the read models as of ``as_of`` (an aware datetime) into ``schema`` by replaying the
    event topics, as a question ``?as_of=`` does; return (events read from the log, seconds).

    Needs a Kafka principal allowed to read the event topics (the projector's) and the read-model database.
    The schema is dropped again afterwards; the time counts the whole build, DDL included."""
    pool = await asyncpg.create_pool(settings.dsn(system.READ_MODEL_DATABASE), min_size=1, max_size=8)
    try:
        done = await replay(settings, pool, as_of, schema)
        await pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        return done.events_read, done.seconds
    finally:
        await pool.close()


# --------------------------------------------------------------------------- the builder (projector process)


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run requested builds one at a time until ``stop``; started by the projector beside the live projection."""
    dsn = settings.dsn(system.READ_MODEL_DATABASE)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=8)
    wake = asyncio.Event()
    listener = await asyncpg.connect(dsn)
    try:
        await install_control(listener)
        # A build that was running when its process died starts again.
        await pool.execute("UPDATE as_of.builds SET state = 'queued' WHERE state = 'building'")
        await listener.add_listener(CHANNEL, lambda *_: wake.set())
        while not stop.is_set():
            wake.clear()
            # Before every build, not only when idle: a queue kept full (four questions at new instants each time
            # one is answered) once kept every schema it built, a full copy of the read models each, until the disk
            # filled.
            await _evict(pool)
            claimed = await _claim(pool)
            if claimed is None:
                waiting = asyncio.ensure_future(stop.wait())
                woken = asyncio.ensure_future(wake.wait())
                await asyncio.wait({waiting, woken}, timeout=5.0, return_when=asyncio.FIRST_COMPLETED)
                waiting.cancel()
                woken.cancel()
                continue
            await _build(settings, pool, claimed)
    finally:
        await listener.close()
        await pool.close()


async def _claim(pool: asyncpg.Pool) -> asyncpg.Record | None:
    """The queued build asked about most recently: a client polling for it is waiting now; a question asked
    once and not followed up (a fuzzer's, a closed browser) waits, and is abandoned after a while."""
    await pool.execute(
        "DELETE FROM as_of.builds WHERE state = 'queued' AND asked_at < now() - make_interval(secs => $1)",
        float(ABANDON_AFTER_SECONDS))
    return await pool.fetchrow(
        "UPDATE as_of.builds SET state = 'building', started_at = now(), error = NULL WHERE id = ("
        " SELECT id FROM as_of.builds WHERE state = 'queued' AND fingerprint = $1 ORDER BY asked_at DESC LIMIT 1"
        " FOR UPDATE SKIP LOCKED) RETURNING *", fingerprint())


async def _build(settings: Settings, pool: asyncpg.Pool, build: asyncpg.Record) -> None:
    schema = schema_of(build["id"])
    log.info("as-of build %s: replaying the events recorded by %s into %s", build["id"], build["as_of"], schema)

    async def progress(done: Replayed) -> None:
        await _save(pool, build["id"], done, "building")

    try:
        done = await replay(settings, pool, build["as_of"], schema, progress)
    except Exception as exc:
        log.exception("as-of build %s failed", build["id"])
        await pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await pool.execute("UPDATE as_of.builds SET state = 'failed', error = $2, finished_at = now() WHERE id = $1",
                           build["id"], f"{type(exc).__name__}: {exc}"[:500])
        return
    await _save(pool, build["id"], done, "ready")
    log.info("as-of build %s: %d of %d events applied in %.1f s, positions %s, %d later erasures", build["id"],
             done.events_applied, done.events_total, done.seconds, done.positions, len(done.erasures))


async def _save(pool: asyncpg.Pool, build: str, done: Replayed, state: str) -> None:
    await pool.execute(
        "UPDATE as_of.builds SET state = $2, events_total = $3, events_read = $4, events_applied = $5, undated = $6,"
        " positions = $7::jsonb, seconds = $8, finished_at = CASE WHEN $2 = 'ready' THEN now() END WHERE id = $1",
        build, state, done.events_total, done.events_read, done.events_applied, done.undated,
        orjson.dumps(done.positions).decode(), done.seconds)


async def _evict(pool: asyncpg.Pool) -> None:
    """Drop the schemas beyond the KEEP most recently asked, those of another definition, and old failures."""
    rows = await pool.fetch(
        "SELECT id, state FROM as_of.builds WHERE state IN ('ready', 'failed') AND id NOT IN ("
        " SELECT id FROM as_of.builds WHERE state = 'ready' AND fingerprint = $1 ORDER BY asked_at DESC LIMIT $2)"
        " AND (state = 'ready' OR asked_at < now() - interval '1 hour')", fingerprint(), KEEP)
    for row in rows:
        await pool.execute(f'DROP SCHEMA IF EXISTS "{schema_of(row["id"])}" CASCADE')
        await pool.execute("DELETE FROM as_of.builds WHERE id = $1", row["id"])
        log.info("as-of build %s dropped (%s)", row["id"], row["state"])
