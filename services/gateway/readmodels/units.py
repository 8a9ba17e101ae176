"""Units read model (``units_view`` and ``unit_headcounts``): township organs and stations with their
headcount history — the denominator of the 5 % secondment target."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import asyncpg

from services.kernel.events import Envelope
from services.kernel.projection import Op
from services.secondment.contract.events import UnitHeadcountChanged, UnitKind, UnitRegistered
from services.secondment.contract.values import Unit

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.units_view (
    unit_id text PRIMARY KEY,
    township_id text NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS units_view_township ON {schema}.units_view (township_id);
CREATE TABLE IF NOT EXISTS {schema}.unit_headcounts (
    unit_id text NOT NULL,
    effective_from date NOT NULL,
    headcount int NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (unit_id, effective_from)
);
"""


#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (UnitRegistered, UnitHeadcountChanged)


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case UnitRegistered() | UnitHeadcountChanged():
            ops: list[Op] = []
            if isinstance(event, UnitRegistered):
                ops.append((
                    f"INSERT INTO {q}.units_view (unit_id, township_id, name, kind, position) VALUES ($1,$2,$3,$4,$5)",
                    (event.unit_id, event.township_id, event.name, event.kind.value, pos),
                ))
            # A change on a date already recorded corrects that date's figure (domain/units.py).
            ops.append((
                f"INSERT INTO {q}.unit_headcounts (unit_id, effective_from, headcount, position) VALUES ($1,$2,$3,$4)"
                " ON CONFLICT (unit_id, effective_from) DO UPDATE SET headcount = EXCLUDED.headcount,"
                " position = EXCLUDED.position",
                (event.unit_id, event.effective_from, event.headcount, pos),
            ))
            return ops
        case _:
            return []


async def township_of(pool: asyncpg.Pool, unit_id: str | None) -> str | None:
    """The township a unit belongs to (None for an unknown unit)."""
    township: str | None = await pool.fetchval("SELECT township_id FROM units_view WHERE unit_id = $1", unit_id)
    return township


async def units(pool: asyncpg.Pool, township: str | None) -> list[Unit]:
    """Every unit (or one township's) with its headcounts in date order, as the secondment rules read them."""
    rows = await pool.fetch(
        "SELECT u.unit_id, u.township_id, u.name, u.kind, h.effective_from, h.headcount FROM units_view u"
        " JOIN unit_headcounts h USING (unit_id) WHERE $1::text IS NULL OR u.township_id = $1"
        " ORDER BY u.unit_id, h.effective_from", township)
    found: dict[str, Unit] = {}
    for r in rows:
        unit = found.get(r["unit_id"]) or Unit(exists=True, unit_id=r["unit_id"], township_id=r["township_id"],
                                              name=r["name"], kind=UnitKind(r["kind"]))
        found[r["unit_id"]] = replace(unit, headcounts=(*unit.headcounts, (r["effective_from"], r["headcount"])))
    return list(found.values())
