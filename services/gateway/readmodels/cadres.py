"""Cadres read model (``cadres_view``): each cadre's post, rank, pay grade and relations as they stand."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from services.kernel.events import Envelope
from services.kernel.projection import Op, update
from services.secondment.contract.events import CadreLinkedToMember, CadrePostChanged, CadreRegistered

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.cadres_view (
    cadre_id text PRIMARY KEY,
    name text NOT NULL,
    unit_id text NOT NULL,
    township_id text NOT NULL,
    post text NOT NULL,
    rank text NOT NULL,
    pay_grade text NOT NULL,
    administrative_relation_org_id text NOT NULL,
    party_relation_org_id text NOT NULL,
    registered_on date NOT NULL,
    -- The member record of the same person (membership's member id), once the sending unit links them.
    member_id text,
    linked_on date,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS cadres_view_member ON {schema}.cadres_view (member_id);
"""


#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (CadreRegistered, CadrePostChanged, CadreLinkedToMember)


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case CadreRegistered():
            return [(
                f"INSERT INTO {q}.cadres_view (cadre_id, name, unit_id, township_id, post, rank, pay_grade,"
                " administrative_relation_org_id, party_relation_org_id, registered_on, position)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
                (event.cadre_id, event.name, event.unit_id, event.township_id, event.post, event.rank,
                 event.pay_grade, event.administrative_relation_org_id, event.party_relation_org_id,
                 event.registered_on, pos),
            )]
        case CadrePostChanged():
            return [update(q, "cadres_view", "cadre_id", event.cadre_id, pos, post=event.post, rank=event.rank,
                           pay_grade=event.pay_grade)]
        case CadreLinkedToMember():
            return [update(q, "cadres_view", "cadre_id", event.cadre_id, pos, member_id=event.member_id,
                           linked_on=event.linked_on)]
        case _:
            return []


async def cadre(pool: asyncpg.Pool, cadre_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow("SELECT * FROM cadres_view WHERE cadre_id = $1", cadre_id)
    return row


async def seconded_to_branch(pool: asyncpg.Pool, member_id: str, branch_id: str, on: date) -> tuple[str, str] | None:
    """``(cadre_id, secondment_id)`` when member ``member_id`` is linked to a cadre who, on day ``on``, is away
    on a secondment placed at outstation branch ``branch_id``; else None.

    In progress on ``on``: departed on or before it and not yet back — no last day recorded, or a last day on
    or after it. A term past its planned end still counts until its end is recorded: the cadre is still out,
    and the county sees the overdue end on the due list. By dates, not by stage, so a seat dated before an
    early end stays explainable. Membership's committee rule asks this through the gateway (the cadre's
    organisational relationship stays at home, so the branch has no member record of it)."""
    row = await pool.fetchrow(
        "SELECT c.cadre_id, s.secondment_id FROM cadres_view c JOIN secondments_view s USING (cadre_id)"
        " WHERE c.member_id = $1 AND s.placement->>'outstation_branch_id' = $2"
        " AND s.departed_on IS NOT NULL AND s.departed_on <= $3 AND (s.last_day IS NULL OR s.last_day >= $3)"
        " ORDER BY s.departed_on DESC, s.secondment_id LIMIT 1",
        member_id, branch_id, on)
    return None if row is None else (row["cadre_id"], row["secondment_id"])
