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
applied). A schema built before an erasure it lacks is built again when next asked (:func:`request`).

Builds are requested through the table ``as_of.builds`` (the gateway inserts a row, ``NOTIFY gb_as_of``)
and run in the projector process, which holds the Kafka principal allowed to read the event topics (the
gateway's may only describe them). Progress — events read of the total, events applied — is written to
the row as the build goes, so any gateway process can report it. A build killed with its process is
started again by the next builder; a finished schema is kept for the next questions about the same T, up
to :data:`KEEP` schemas, the least recently asked dropped first.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from services import system
from services.gateway.readmodels import PROJECTION
from services.gateway.readmodels.members import ERASED_NAME
from services.kernel.events import Envelope
from services.kernel.kafka import event_consumer
from services.kernel.projection import RUNNER_TABLES, Op, ProjectionRunner, event_ops
from services.kernel.settings import Settings
from services.membership.contract.events import REGISTRY as MEMBERSHIP
from services.membership.contract.events.members import EVENTS as MEMBER_EVENTS
from services.membership.contract.events.members import PersonalDataErased

log = logging.getLogger("as-of")

#: Finished as-of schemas kept for later questions (each is a full copy of the read models as of its T).
KEEP = 4
#: Builds waiting or running at once; a question beyond them is refused (429) rather than queued.
MAX_PENDING = 4
#: New builds one caller may start within ``BUDGET_WINDOW_SECONDS`` (the county's administrators are not counted).
#: Each replays the whole log: without a budget, one token asking at a new instant as soon as its last build was
#: ready kept the builder — and the PostgreSQL the live projection shares — busy for as long as it liked.
NEW_BUILDS_PER_WINDOW = 6
BUDGET_WINDOW_SECONDS = 3600
#: A queued build nobody has asked about for this long is abandoned before it starts.
ABANDON_AFTER_SECONDS = 120
CHANNEL = "gb_as_of"
#: The events that erase a person, by (source, wire name). Only membership erases: the workers register keeps
#: no name, ID number or phone (docs/workers.md), and no other service records a person's personal data.
ERASURES = frozenset((MEMBERSHIP.source, name) for name, event in MEMBER_EVENTS.items() if event is PersonalDataErased)
_REGISTRIES = {registry.source: registry for registry in PROJECTION.registries}

CONTROL_DDL = """
CREATE SCHEMA IF NOT EXISTS as_of;
CREATE TABLE IF NOT EXISTS as_of.builds (
    id text PRIMARY KEY,
    as_of timestamptz NOT NULL,
    -- The read models' definition the schema is built with: a new definition builds afresh.
    fingerprint text NOT NULL,
    state text NOT NULL CHECK (state IN ('queued', 'building', 'ready', 'failed')),
    events_total bigint,
    events_read bigint NOT NULL DEFAULT 0,
    events_applied bigint NOT NULL DEFAULT 0,
    undated bigint NOT NULL DEFAULT 0,
    -- Per event source (service), the last store position applied.
    positions jsonb NOT NULL DEFAULT '{}',
    seconds double precision,
    error text,
    requested_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    asked_at timestamptz NOT NULL DEFAULT now()
);
-- Who asked first (the caller's label, role:subject@org): one waiting or running build per caller.
ALTER TABLE as_of.builds ADD COLUMN IF NOT EXISTS asked_by text;
-- Each build a caller started, for their budget (NEW_BUILDS_PER_WINDOW): kept apart from the builds, which are
-- evicted, and pruned past the window.
CREATE TABLE IF NOT EXISTS as_of.started (caller text NOT NULL, at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS started_by_caller ON as_of.started (caller, at);
"""


def fingerprint() -> str:
    """The read models' definition, as ``services.kernel.projection.install`` fingerprints it."""
    return hashlib.sha256((RUNNER_TABLES + PROJECTION.ddl).encode()).hexdigest()


def build_id(as_of: datetime, definition: str) -> str:
    """One build per recorded time (to the microsecond, in UTC) and read-model definition."""
    key = f"{as_of.astimezone(UTC).isoformat()}|{definition}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def schema_of(build: str) -> str:
    return f"as_of_{build}"


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


# --------------------------------------------------------------------------- the builds table


async def install_control(conn: asyncpg.Connection) -> None:
    """Create ``as_of.builds`` (idempotent; the gateway and the builder both call it on start)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('gb_as_of_control'))")
        await conn.execute(CONTROL_DDL)


class TooManyBuilds(Exception):
    """MAX_PENDING builds are already waiting or running."""


class CallerBusy(Exception):
    """The caller already has a build waiting or running (its row is ``args[0]``)."""


class CallerOverBudget(Exception):
    """The caller started NEW_BUILDS_PER_WINDOW builds within the window; ``args[0]``: seconds until one more."""


async def request(pool: asyncpg.Pool, as_of: datetime, caller: str | None = None, *,
                  budgeted: bool = True) -> asyncpg.Record:
    """The build for ``as_of``: the existing one (noted as asked again; a failed one queued again), or a new
    one queued for the builder. Raises :class:`TooManyBuilds` rather than queue more than MAX_PENDING,
    :class:`CallerBusy` rather than queue a second one for ``caller`` while its first waits or runs (one token
    asking at new instants would otherwise keep every slot, and the builder, to itself), and
    :class:`CallerOverBudget` once ``caller`` (when ``budgeted``) started NEW_BUILDS_PER_WINDOW within the window."""
    definition = fingerprint()
    build = build_id(as_of, definition)
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "UPDATE as_of.builds SET asked_at = now() WHERE id = $1 RETURNING *", build)
        if row is not None and row["state"] == "ready" and await lacks_an_erasure(conn, schema_of(build)):
            log.info("as-of build %s lacks an erasure recorded since it was built: built again", build)
        elif row is not None and row["state"] != "failed":
            return row
        # One queueing at a time: two questions at the same moment would both pass the checks below.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('gb_as_of_queue'))")
        if caller is not None:
            own = await conn.fetchrow("SELECT * FROM as_of.builds WHERE state IN ('queued', 'building')"
                                      " AND asked_by = $1 AND id <> $2 LIMIT 1", caller, build)
            if own is not None:
                raise CallerBusy(own)
            if budgeted:
                await _within_budget(conn, caller)
        pending = await conn.fetchval("SELECT count(*) FROM as_of.builds WHERE state IN ('queued', 'building')")
        if pending >= MAX_PENDING:
            raise TooManyBuilds(pending)
        row = await conn.fetchrow(
            "INSERT INTO as_of.builds (id, as_of, fingerprint, state, asked_by) VALUES ($1, $2, $3, 'queued', $4)"
            " ON CONFLICT (id) DO UPDATE SET state = 'queued', error = NULL, events_read = 0, events_applied = 0,"
            " asked_at = now(), requested_at = now(), asked_by = $4 RETURNING *", build, as_of, definition, caller)
        if caller is not None:
            await conn.execute("INSERT INTO as_of.started (caller) VALUES ($1)", caller)
        await conn.execute(f"NOTIFY {CHANNEL}")
        return row


async def _within_budget(conn: asyncpg.Connection, caller: str) -> None:
    """Raise CallerOverBudget when ``caller`` started NEW_BUILDS_PER_WINDOW builds within the window."""
    window = timedelta(seconds=BUDGET_WINDOW_SECONDS)
    await conn.execute("DELETE FROM as_of.started WHERE at < now() - $1::interval", window)
    used, wait = await conn.fetchrow(
        "SELECT count(*), ceil(extract(epoch FROM min(at) + $2::interval - now())) FROM as_of.started"
        " WHERE caller = $1", caller, window)
    if used >= NEW_BUILDS_PER_WINDOW:
        raise CallerOverBudget(max(1, int(wait or 1)))


#: A person the live read models (the connection's ``search_path``) show erased whom a kept schema (``{schema}``)
#: still shows: a member's row has ``erased_on``, an applicant's case the erased name.
_LACKS_AN_ERASURE = """
SELECT EXISTS (SELECT 1 FROM members_view l JOIN {schema}.members_view c USING (member_id)
               WHERE l.erased_on IS NOT NULL AND c.erased_on IS NULL)
    OR EXISTS (SELECT 1 FROM development_view l JOIN {schema}.development_view c USING (person_id)
               WHERE l.name = '""" + ERASED_NAME + """' AND c.name <> '""" + ERASED_NAME + """')
"""


async def lacks_an_erasure(conn: asyncpg.Connection, schema: str) -> bool:
    """Whether the kept as-of ``schema`` still shows a person since erased. A build reads the log to the end
    offsets seen when it starts, so an erasure recorded later is not in it; the builds are not dropped when
    an erasure is recorded (that would take a watch on the log beside the projector, and a window until it
    acts) but checked each time they are asked for, against the live read models: an as-of answer never shows
    a person that a live answer from the same database shows erased. Reads only the erased rows of ``members_view`` and
    ``development_view`` per as-of answer, by their partial indexes (the name is written into the statement, not
    bound, so that the planner matches it with the index's predicate)."""
    return bool(await conn.fetchval(_LACKS_AN_ERASURE.format(schema=f'"{schema}"')))


async def find(pool: asyncpg.Pool, build: str) -> asyncpg.Record | None:
    """One build's row (its progress), noted as asked."""
    return await pool.fetchrow("UPDATE as_of.builds SET asked_at = now() WHERE id = $1 RETURNING *", build)


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


def describe(row: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    """A build's progress as the API shows it."""
    total, read = row["events_total"], row["events_read"]
    positions = row["positions"]
    if isinstance(positions, str | bytes):
        positions = orjson.loads(positions)
    return {
        "id": row["id"],
        "as_of": row["as_of"],
        "state": row["state"],
        "events_total": total,
        "events_read": read,
        "events_applied": row["events_applied"],
        "percent": round(100 * read / total, 1) if total else (100.0 if row["state"] == "ready" else None),
        "positions": positions,
        "seconds": row["seconds"],
        "error": row["error"],
    }
