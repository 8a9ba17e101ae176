"""Facts about other records that membership rules need, read from the member directory.

The directory (directory.sql) is kept by a trigger inside every append transaction: who is where now, and
its history by the facts' effective dates, so a rule about a past day reads that day's roster.
"""

from __future__ import annotations

from datetime import date
from importlib import resources

import asyncpg

from services.membership import event_indexes

VOTING_STATUSES = ("full",)


async def install(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('gb_membership_directory'))")
        await conn.execute(resources.files("services.membership").joinpath("directory.sql").read_text())


async def full_member_ids(pool: asyncpg.Pool, org_id: str, on: date | None = None) -> frozenset[str]:
    """Full members whose formal organisation is ``org_id`` (they vote there; probationary members do not):
    on the day ``on`` — the roster of a meeting's day, whenever the meeting is recorded — or, without it,
    as the store stands now."""
    return await _members(pool, org_id, VOTING_STATUSES, on)


async def formal_org_of(pool: asyncpg.Pool, member_id: str) -> str | None:
    org: str | None = await pool.fetchval("SELECT formal_org_id FROM member_directory WHERE member_id = $1",
                                          member_id)
    return org


async def member_ids(pool: asyncpg.Pool, org_id: str, on: date | None = None) -> frozenset[str]:
    """Every member (probationary or full) whose formal organisation is ``org_id``, on ``on`` or now."""
    return await _members(pool, org_id, ("probationary", "full"), on)


async def _members(pool: asyncpg.Pool, org_id: str, statuses: tuple[str, ...], on: date | None) -> frozenset[str]:
    if on is None:
        rows = await pool.fetch(
            "SELECT member_id FROM member_directory WHERE formal_org_id = $1 AND status = ANY($2::text[])",
            org_id, list(statuses),
        )
    else:
        # The history (directory.sql): each member's latest organisation and standing on or before the day.
        rows = await pool.fetch("SELECT member_id FROM gb_members_on($1, $2, $3::text[])", org_id, on, list(statuses))
    return frozenset(r["member_id"] for r in rows)


async def standing_on(pool: asyncpg.Pool, member_id: str, on: date) -> tuple[str | None, str | None]:
    """A member's formal organisation and standing on the day ``on`` (directory.sql's history); (None, None)
    for a person who is no member here."""
    row = await pool.fetchrow(
        "SELECT (SELECT org_id FROM member_directory_changes WHERE member_id = $1 AND org_id IS NOT NULL"
        "         AND coalesce(effective_on, '-infinity'::date) <= $2"
        "       ORDER BY coalesce(effective_on, '-infinity'::date) DESC, position DESC LIMIT 1) AS org_id,"
        "       (SELECT status FROM member_directory_changes WHERE member_id = $1 AND status IS NOT NULL"
        "         AND coalesce(effective_on, '-infinity'::date) <= $2"
        "       ORDER BY coalesce(effective_on, '-infinity'::date) DESC, position DESC LIMIT 1) AS status",
        member_id, on)
    return (row["org_id"], row["status"]) if row else (None, None)


async def months_without_life(pool: asyncpg.Pool, member_id: str, on: date) -> int:
    """Whole months from the member's last attended meeting (or, never having attended one, from their
    first recorded event) to ``on``. A meeting's day is its last correction's, if it was corrected. Every
    meeting they attended counts, wherever it was held: their own organisation's, a host organisation's (as a
    member of a branch it guides or hosted there), or as a certificate holder (B4: 参加多重组织生活)."""
    since = await pool.fetchval(event_indexes.LAST_LIFE, member_id)
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


async def hosted_at(pool: asyncpg.Pool, host_org_id: str) -> frozenset[str]:
    """Members taking part in organisational life at ``host_org_id``: reported to it, or holding its certificate."""
    rows = await pool.fetch("SELECT member_id FROM member_directory WHERE host_org_id = $1", host_org_id)
    return frozenset(r["member_id"] for r in rows)


async def linked_to_host(pool: asyncpg.Pool, host_org_id: str) -> list[str]:
    """Outstation branches ever linked to ``host_org_id`` (established with it or linked later); the caller
    checks each branch's current link, which a later link to another host replaces."""
    rows = await pool.fetch(event_indexes.LINKED_TO_HOST, host_org_id)
    return sorted(r["stream_id"] for r in rows)


async def certificate_host_of(pool: asyncpg.Pool, member_id: str) -> str | None:
    """The host organisation of a member holding an activity certificate (they may pay dues there)."""
    host: str | None = await pool.fetchval(
        "SELECT host_org_id FROM member_directory WHERE member_id = $1 AND certificate_holder", member_id)
    return host
