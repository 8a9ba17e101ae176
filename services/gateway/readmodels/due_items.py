"""Due-items read model (``due_items_view``): what the deadline engine raised for each organisation,
due or overdue (interviews, assessments, letters, reports…)."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from services.kernel.events import Envelope
from services.kernel.projection import Op
from services.membership.contract.events import DeadlineRaised

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.due_items_view (
    subject_id text NOT NULL,
    subject_type text NOT NULL,
    org_id text NOT NULL,
    kind text NOT NULL,
    due_on date NOT NULL,
    raised_on date NOT NULL,
    overdue boolean NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (subject_id, kind, due_on)
);
CREATE INDEX IF NOT EXISTS due_items_view_org ON {schema}.due_items_view (org_id, due_on);
"""


#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (DeadlineRaised,)


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    match event:
        case DeadlineRaised():
            # Raised once when due and once more when overdue: the later raise wins, and overdue stays overdue.
            return [(
                f"INSERT INTO {q}.due_items_view (subject_id, subject_type, org_id, kind, due_on, raised_on, overdue,"
                " position) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (subject_id, kind, due_on) DO UPDATE"
                f" SET overdue = EXCLUDED.overdue OR {q}.due_items_view.overdue, raised_on = EXCLUDED.raised_on,"
                " position = EXCLUDED.position",
                (event.subject_id, event.subject_type, event.org_id, event.kind, event.due_on, event.raised_on,
                 event.overdue, env.position or 0),
            )]
        case _:
            return []


async def due_items(pool: asyncpg.Pool, org_id: str, *, after: date | None, overdue: bool | None, kind: str | None,
                    limit: int, since: tuple[date, str, str] | None = None) -> list[asyncpg.Record]:
    """One organisation's items, earliest first (by day, subject, kind), due after ``after`` and, when paging, after
    the item ``since`` — (due_on, subject_id, kind) of the last item of the previous page: several items fall due
    on one day, so a page that ends inside a day goes on inside it; ``limit`` rows at most."""
    day, subject, of_kind = since or (None, None, None)
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT * FROM due_items_view WHERE org_id = $1 AND ($2::date IS NULL OR due_on > $2)"
        " AND ($3::bool IS NULL OR overdue = $3) AND ($4::text IS NULL OR kind = $4)"
        " AND ($6::date IS NULL OR (due_on, subject_id, kind) > ($6, $7::text, $8::text))"
        " ORDER BY due_on, subject_id, kind LIMIT $5",
        org_id, after, overdue, kind, limit, day, subject, of_kind,
    )
    return rows
