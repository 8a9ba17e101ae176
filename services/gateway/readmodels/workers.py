"""Migrant-worker read model: the register (``migrant_workers_view``), service cases (``service_cases_view``)
and labour-export groups (``export_groups_view``), one row per record, each written by its own events only.

An export group's outstation branch is joined with the branch directory (``branches_view``) when read: the
workers service records the branch id as given and never reads membership's store, so whether the branch
exists, and whether its destination is the group's, is answered here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import orjson

from services.kernel.events import Envelope
from services.kernel.projection import Op, update
from services.workers.contract.events import (
    CaseClosed,
    CaseDecided,
    CaseReferred,
    ConsentWithdrawn,
    DocumentIssued,
    ExportGroupOrganised,
    ServiceRequested,
    WorkerRegistered,
)

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.migrant_workers_view (
    worker_id text PRIMARY KEY,
    township_id text NOT NULL,
    village text NOT NULL,
    member_id text,
    skills jsonb NOT NULL,
    consent_scope jsonb NOT NULL,
    consent_on date NOT NULL,
    consent_withdrawn_on date,
    registered_on date NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS migrant_workers_view_township ON {schema}.migrant_workers_view (township_id);
CREATE TABLE IF NOT EXISTS {schema}.service_cases_view (
    case_id text PRIMARY KEY,
    worker_id text NOT NULL,
    township_id text NOT NULL,
    kind text NOT NULL,
    stage text NOT NULL,
    bureau text,
    requested_on date NOT NULL,
    referred_on date,
    due_by date,
    policy_version text,
    document_number text,
    certificate_amount numeric,
    fee numeric,
    issued_on date,
    granted boolean,
    reference text,
    loan_amount numeric,
    reason text,
    decided_on date,
    late boolean NOT NULL DEFAULT false,
    outcome text,
    closed_on date,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS service_cases_view_township ON {schema}.service_cases_view (township_id, stage);
CREATE INDEX IF NOT EXISTS service_cases_view_bureau ON {schema}.service_cases_view (bureau, stage);
CREATE TABLE IF NOT EXISTS {schema}.export_groups_view (
    group_id text PRIMARY KEY,
    township_id text NOT NULL,
    destination text NOT NULL,
    branch_id text NOT NULL,
    worker_ids jsonb NOT NULL,
    organised_on date NOT NULL,
    departs_on date NOT NULL,
    position bigint NOT NULL
);
"""

_CASE = "service_cases_view"


def _json(values: Any) -> str:
    return orjson.dumps(list(values)).decode()

#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (WorkerRegistered, ConsentWithdrawn, ServiceRequested, CaseReferred, DocumentIssued,
                            CaseDecided, CaseClosed, ExportGroupOrganised)


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case WorkerRegistered():
            return [(f"INSERT INTO {q}.migrant_workers_view (worker_id, township_id, village, member_id, skills,"
                     " consent_scope, consent_on, registered_on, position)"
                     " VALUES ($1,$2,$3,$4,$5::jsonb,$6::jsonb,$7,$8,$9)",
                     (event.worker_id, event.township_id, event.village, event.member_id, _json(event.skills),
                      _json([s.value for s in event.consent_scope]), event.consent_on, event.registered_on, pos))]
        case ConsentWithdrawn():
            return [update(q, "migrant_workers_view", "worker_id", event.worker_id, pos,
                           consent_withdrawn_on=event.withdrawn_on)]
        case ServiceRequested():
            return [(f"INSERT INTO {q}.{_CASE} (case_id, worker_id, township_id, kind, stage, requested_on, position)"
                     " VALUES ($1,$2,$3,$4,'requested',$5,$6)",
                     (event.case_id, event.worker_id, event.township_id, event.kind.value, event.requested_on, pos))]
        case CaseReferred():
            return [update(q, _CASE, "case_id", event.case_id, pos, stage="referred", bureau=event.bureau.value,
                           referred_on=event.referred_on, due_by=event.due_by, policy_version=event.policy_version)]
        case DocumentIssued():
            # A micro-credit certificate's amount; the loan granted on it comes with the credit cooperative's decision.
            amount = {"certificate_amount": event.amount} if event.amount is not None else {}
            return [update(q, _CASE, "case_id", event.case_id, pos, stage="issued",
                           document_number=event.document_number, fee=event.fee, issued_on=event.issued_on,
                           late=event.late, **amount)]
        case CaseDecided():
            return [update(q, _CASE, "case_id", event.case_id, pos, stage="decided", granted=event.granted,
                           reference=event.reference or None, loan_amount=event.amount, reason=event.reason or None,
                           decided_on=event.decided_on, late=event.late)]
        case CaseClosed():
            return [update(q, _CASE, "case_id", event.case_id, pos, stage="closed", closed_on=event.closed_on,
                           outcome=event.outcome.value if event.outcome else None)]
        case ExportGroupOrganised():
            return [(f"INSERT INTO {q}.export_groups_view (group_id, township_id, destination, branch_id, worker_ids,"
                     " organised_on, departs_on, position) VALUES ($1,$2,$3,$4,$5::jsonb,$6,$7,$8)",
                     (event.group_id, event.township_id, event.destination, event.branch_id, _json(event.worker_ids),
                      event.organised_on, event.departs_on, pos))]
    return []


async def worker(pool: asyncpg.Pool, worker_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT * FROM migrant_workers_view WHERE worker_id = $1", worker_id)
    return row


async def case(pool: asyncpg.Pool, case_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow("SELECT * FROM service_cases_view WHERE case_id = $1", case_id)
    return row


async def cases(pool: asyncpg.Pool, *, township: str | None, bureau: str | None, stage: str | None,
                kind: str | None, after: str | None, limit: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT * FROM service_cases_view WHERE ($1::text IS NULL OR township_id = $1)"
        " AND ($2::text IS NULL OR bureau = $2) AND ($3::text IS NULL OR stage = $3)"
        " AND ($4::text IS NULL OR kind = $4) AND ($5::text IS NULL OR case_id > $5)"
        " ORDER BY case_id LIMIT $6", township, bureau, stage, kind, after, limit)
    return rows


async def group(pool: asyncpg.Pool, group_id: str) -> asyncpg.Record | None:
    """A group with its outstation branch from the directory (null when no such branch is known)."""
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT g.*, b.name AS branch_name, b.destination AS branch_destination"
        " FROM export_groups_view g LEFT JOIN branches_view b ON b.branch_id = g.branch_id"
        " WHERE g.group_id = $1", group_id)
    return row


async def case_counts(pool: asyncpg.Pool, day: date, township: str | None) -> list[asyncpg.Record]:
    """Per township and kind, on ``day``: cases requested, open, closed, overdue (referred and not acted on by
    their deadline), acted on late, and the days from request to closing."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT township_id, kind,"
        " count(*) AS requested,"
        " count(*) FILTER (WHERE closed_on IS NULL OR closed_on > $1) AS open,"
        " count(*) FILTER (WHERE closed_on <= $1) AS closed,"
        " count(*) FILTER (WHERE stage = 'referred' AND due_by < $1) AS overdue,"
        " count(*) FILTER (WHERE late) AS acted_late,"
        " round(avg(closed_on - requested_on) FILTER (WHERE closed_on <= $1), 1) AS mean_days_to_close,"
        " max(closed_on - requested_on) FILTER (WHERE closed_on <= $1) AS max_days_to_close"
        f" FROM {_CASE} WHERE requested_on <= $1 AND ($2::text IS NULL OR township_id = $2)"
        " GROUP BY township_id, kind ORDER BY township_id, kind", day, township)
    return rows


async def workers_by_township(pool: asyncpg.Pool, day: date, township: str | None) -> list[asyncpg.Record]:
    """Per township: workers on the register by ``day``, how many are Party members, how many still consent."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT township_id, count(*) AS registered, count(*) FILTER (WHERE member_id IS NOT NULL) AS members,"
        " count(*) FILTER (WHERE consent_withdrawn_on IS NULL OR consent_withdrawn_on > $1) AS consenting"
        " FROM migrant_workers_view WHERE registered_on <= $1 AND ($2::text IS NULL OR township_id = $2)"
        " GROUP BY township_id ORDER BY township_id", day, township)
    return rows


async def workers_by_destination(pool: asyncpg.Pool, day: date, township: str | None) -> list[asyncpg.Record]:
    """Per township and destination: workers gone with a labour-export group that departed by ``day``."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT g.township_id, g.destination, count(DISTINCT w.worker_id) AS workers, count(DISTINCT g.group_id)"
        " AS groups FROM export_groups_view g CROSS JOIN LATERAL jsonb_array_elements_text(g.worker_ids)"
        " AS w(worker_id) WHERE g.departs_on <= $1 AND ($2::text IS NULL OR g.township_id = $2)"
        " GROUP BY g.township_id, g.destination ORDER BY g.township_id, g.destination", day, township)
    return rows


async def services_in_period(pool: asyncpg.Pool, township: str | None, start: date, end: date,
                             exported: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per township, for the year-end summary: workers on the register on ``end``, cases requested and closed
    from ``start`` to ``end``, cases overdue on ``end``, and the workers labour export took in the period
    (``exported``: ``exported_by_branch`` of the same period, summed per township)."""
    cases = await pool.fetch(
        "SELECT township_id,"
        " count(*) FILTER (WHERE requested_on >= $2) AS service_cases_requested,"
        " count(*) FILTER (WHERE closed_on BETWEEN $2 AND $3) AS service_cases_closed,"
        " count(*) FILTER (WHERE stage = 'referred' AND due_by < $3) AS service_cases_overdue"
        f" FROM {_CASE} WHERE requested_on <= $3 AND ($1::text IS NULL OR township_id = $1) GROUP BY township_id",
        township, start, end)
    registered = await pool.fetch(
        "SELECT township_id, count(*) AS workers_registered FROM migrant_workers_view WHERE registered_on <= $2"
        " AND ($1::text IS NULL OR township_id = $1) GROUP BY township_id", township, end)
    found: dict[str, dict[str, Any]] = {}
    for row in (*cases, *registered):
        found.setdefault(row["township_id"], {"township_id": row["township_id"]}).update(
            {k: v for k, v in dict(row).items() if k != "township_id"})
    for row in exported:
        entry = found.setdefault(row["township_id"], {"township_id": row["township_id"]})
        entry["workers_exported"] = entry.get("workers_exported", 0) + row["workers_exported"]
    return [found[t] for t in sorted(found)]


async def exported_by_branch(pool: asyncpg.Pool, township: str | None, start: date, end: date) -> list[dict[str, Any]]:
    """Per township and outstation branch: workers gone with a labour-export group that departed from ``start``
    to ``end`` (a worker in two groups of the period counts once per branch)."""
    rows = await pool.fetch(
        "SELECT g.township_id, g.branch_id, count(DISTINCT w.worker_id) AS workers_exported"
        " FROM export_groups_view g CROSS JOIN LATERAL jsonb_array_elements_text(g.worker_ids) AS w(worker_id)"
        " WHERE g.departs_on BETWEEN $2 AND $3 AND ($1::text IS NULL OR g.township_id = $1)"
        " GROUP BY g.township_id, g.branch_id ORDER BY g.township_id, g.branch_id", township, start, end)
    return [dict(r) for r in rows]
