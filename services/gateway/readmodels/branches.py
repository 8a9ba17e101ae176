"""Branches read model (``branches_view``, and ``branches_with_counts`` joining the members): outstation
branches as established, with their member counts derived when read."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.kernel.events import Envelope, encode
from services.kernel.projection import Op
from services.membership.contract.events import BranchEstablished
from services.membership.contract.events.branches import HostGuidanceLinked

# The view reads members_view, so this DDL runs after the members read model's (see __init__.py).
DDL = """
CREATE TABLE IF NOT EXISTS {schema}.branches_view (
    branch_id text PRIMARY KEY,
    name text NOT NULL,
    founding_basis text NOT NULL,
    build_mode text NOT NULL,
    home_org_id text NOT NULL,
    host_guidance_org text NOT NULL,
    destination text NOT NULL,
    industry text NOT NULL,
    established_on date NOT NULL,
    covered_units jsonb NOT NULL,
    host_org_id text,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS branches_view_home ON {schema}.branches_view (home_org_id, branch_id);
-- Counts are derived when read, never kept as counters: a member's events and their branch's
-- events sit on different partitions, so a counter would depend on the order they are applied.
-- Counted per branch read (LATERAL, from the index members_view_org_member), not by grouping every
-- member for every page: at 1 M members that grouping was a whole-table scan per request (bench/growth.py).
CREATE OR REPLACE VIEW {schema}.branches_with_counts AS
SELECT b.*,
       c.members,
       c.members_away
  FROM {schema}.branches_view b
  CROSS JOIN LATERAL (SELECT count(*) AS members, count(*) FILTER (WHERE m.away) AS members_away
                        FROM {schema}.members_view m WHERE m.formal_org_id = b.branch_id) c;
"""


#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (BranchEstablished, HostGuidanceLinked)


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    match event:
        case BranchEstablished():
            return [(
                f"INSERT INTO {q}.branches_view (branch_id, name, founding_basis, build_mode, home_org_id,"
                " host_guidance_org, destination, industry, established_on, covered_units, host_org_id, position)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10::jsonb,$11,$12)",
                (event.branch_id, event.name, event.founding_basis.value, event.build_mode.value, event.home_org_id,
                 event.host_guidance_org, event.destination, event.industry, event.established_on,
                 encode(list(event.covered_units)).decode(), event.host_org_id, env.position or 0),
            )]
        case HostGuidanceLinked():
            # The branch's own stream: its row was written by its BranchEstablished, earlier on the same partition.
            return [(f"UPDATE {q}.branches_view SET host_org_id = $2, host_guidance_org = $3, position = $4"
                     " WHERE branch_id = $1", (event.org_id, event.host_org_id, event.host_name, env.position or 0))]
        case _:
            return []


async def branch(pool: asyncpg.Pool, branch_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT * FROM branches_with_counts WHERE branch_id = $1", branch_id)
    return row


async def branches(pool: asyncpg.Pool, *, after: str | None, destination: str | None, founding_basis: str | None,
                   build_mode: str | None, home_org_id: str | None, limit: int) -> list[asyncpg.Record]:
    """Branches with counts, ordered by id after the cursor, ``limit`` rows at most."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT * FROM branches_with_counts WHERE ($1::text IS NULL OR branch_id > $1)"
        " AND ($2::text IS NULL OR destination = $2) AND ($3::text IS NULL OR founding_basis = $3)"
        " AND ($4::text IS NULL OR build_mode = $4) AND ($5::text IS NULL OR home_org_id = $5)"
        " ORDER BY branch_id LIMIT $6",
        after, destination, founding_basis, build_mode, home_org_id, limit,
    )
    return rows


async def established(pool: asyncpg.Pool, home_org_id: str | None) -> list[asyncpg.Record]:
    """(branch_id, home_org_id, established_on) of every branch, or of one township's."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT branch_id, home_org_id, established_on FROM branches_view WHERE ($1::text IS NULL OR home_org_id = $1)",
        home_org_id,
    )
    return rows
