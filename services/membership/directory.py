"""Facts about other records that membership rules need, read from the member directory.

The directory (directory.sql) is kept by a trigger inside every append transaction.
"""

from __future__ import annotations

from datetime import date
from importlib import resources

import asyncpg

VOTING_STATUSES = ("full",)


async def install(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('gb_membership_directory'))")
        await conn.execute(resources.files("services.membership").joinpath("directory.sql").read_text())


async def full_member_ids(pool: asyncpg.Pool, org_id: str) -> frozenset[str]:
    """Full members whose formal organisation is ``org_id`` (they vote there; probationary members do not)."""
    rows = await pool.fetch(
        "SELECT member_id FROM member_directory WHERE formal_org_id = $1 AND status = ANY($2::text[])",
        org_id, list(VOTING_STATUSES),
    )
    return frozenset(r["member_id"] for r in rows)


async def formal_org_of(pool: asyncpg.Pool, member_id: str) -> str | None:
    org: str | None = await pool.fetchval("SELECT formal_org_id FROM member_directory WHERE member_id = $1",
                                          member_id)
    return org


async def member_ids(pool: asyncpg.Pool, org_id: str) -> frozenset[str]:
    """Every member (probationary or full) whose formal organisation is ``org_id``."""
    rows = await pool.fetch(
        "SELECT member_id FROM member_directory WHERE formal_org_id = $1 AND status IN ('probationary', 'full')",
        org_id,
    )
    return frozenset(r["member_id"] for r in rows)


async def months_without_life(pool: asyncpg.Pool, member_id: str, on: date) -> int:
    """Whole months from the member's last attended meeting (or, never having attended one, from their
    first recorded event) to ``on``."""
    since = await pool.fetchval(
        "SELECT coalesce("
        " (SELECT max((data::jsonb ->> 'held_on')::date) FROM events"
        "   WHERE type = 'gb.membership.meeting_recorded.v1' AND data::jsonb -> 'present_ids' ? $1),"
        " (SELECT min(occurred_at)::date FROM events WHERE stream_id = $1))",
        member_id,
    )
    if since is None:
        return 0
    months = (on.year - since.year) * 12 + on.month - since.month - (on.day < since.day)
    return max(0, int(months))


async def certificate_holders_at(pool: asyncpg.Pool, host_org_id: str) -> frozenset[str]:
    """Activity-certificate holders taking part in organisational life at ``host_org_id``."""
    rows = await pool.fetch(
        "SELECT member_id FROM member_directory WHERE host_org_id = $1 AND certificate_holder", host_org_id
    )
    return frozenset(r["member_id"] for r in rows)


async def certificate_host_of(pool: asyncpg.Pool, member_id: str) -> str | None:
    """The host organisation of a member holding an activity certificate (they may pay dues there)."""
    host: str | None = await pool.fetchval(
        "SELECT host_org_id FROM member_directory WHERE member_id = $1 AND certificate_holder", member_id)
    return host
