"""Cadres read model (``cadres_view``): each cadre's post, rank, pay grade and relations as they stand."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.kernel.events import Envelope
from services.kernel.projection import Op, update
from services.secondment.contract.events import CadrePostChanged, CadreRegistered

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
    position bigint NOT NULL
);
"""


#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (CadreRegistered, CadrePostChanged)


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
        case _:
            return []


async def cadre(pool: asyncpg.Pool, cadre_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow("SELECT * FROM cadres_view WHERE cadre_id = $1", cadre_id)
    return row
