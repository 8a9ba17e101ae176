"""The as-of builds table, the asking side: what a question "as of T" finds or queues, within its limits.

The gateway asks here (services/gateway/api/as_of.py): :func:`request` finds the build of a recorded time and
read-model definition, or queues one (``as_of.builds``, ``NOTIFY gb_as_of``) within the limits — MAX_PENDING
builds at once, one waiting or running per caller, NEW_BUILDS_PER_WINDOW new ones per caller an hour — and
:func:`describe` shows its progress. The builder (services/gateway/replay.py, in the projector process) claims
the queued rows, replays the log into each one's schema and writes its progress to the row.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from services.gateway.readmodels import PROJECTION
from services.gateway.readmodels.members import ERASED_NAME
from services.kernel.projection import RUNNER_TABLES

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
CHANNEL = "gb_as_of"

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
