"""Secondment command handlers: load, fold, decide, append — with the facts other records supply."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, cast

import asyncpg

from services.kernel.handling import execute, state_of
from services.kernel.locks import KeyedLocks
from services.kernel.store import AppendResult, CommandMeta, EventStore
from services.secondment.contract.commands import ChangePost, NominateCadre, RegisterCadre, StartSecondment
from services.secondment.domain import cadres, secondments, units
from services.secondment.domain.secondment_state import Stage
from services.secondment.policy import secondment_policy_on

Store = EventStore[Any]

_evolve_unit = cast(Callable[[units.Unit, Any], units.Unit], units.evolve)
_evolve_cadre = cast(Callable[[cadres.Cadre, Any], cadres.Cadre], cadres.evolve)
_evolve_secondment = cast(Callable[[secondments.Secondment, Any], secondments.Secondment], secondments.evolve)

#: Stages in which a secondment still blocks a new nomination of the same cadre.
OPEN_STAGES = (Stage.NOMINATED, Stage.APPROVED, Stage.AWAY, Stage.UNPAID_LEAVE)
#: Stages in which the cadre's post, rank and pay are frozen (A: unchanged while away).
AWAY_STAGES = (Stage.AWAY, Stage.UNPAID_LEAVE)

_nominations = KeyedLocks()

INDEXES = """
CREATE INDEX IF NOT EXISTS events_secondment_cadre ON events ((data::jsonb ->> 'cadre_id'))
    WHERE type = 'gb.secondment.secondment_nominated.v1';
"""


async def install(pool: asyncpg.Pool) -> None:
    await pool.execute(INDEXES)


async def unit_state(store: Store, unit_id: str) -> units.Unit:
    return state_of(await store.load(unit_id), _evolve_unit, units.INITIAL)


async def cadre_state(store: Store, cadre_id: str) -> cadres.Cadre:
    return state_of(await store.load(cadre_id), _evolve_cadre, cadres.INITIAL)


async def secondments_of(store: Store, cadre_id: str) -> list[secondments.Secondment]:
    """Every secondment the cadre was nominated for, oldest first."""
    rows = await store.pool.fetch(
        "SELECT stream_id FROM events WHERE type = 'gb.secondment.secondment_nominated.v1'"
        " AND data::jsonb ->> 'cadre_id' = $1 ORDER BY position", cadre_id,
    )
    return [state_of(await store.load(r["stream_id"]), _evolve_secondment, secondments.INITIAL) for r in rows]


async def secondment_on(store: Store, cadre_id: str, day: date) -> secondments.Secondment | None:
    """The cadre's secondment whose time away covers ``day`` (departure through the last day), if any."""
    for secondment in await secondments_of(store, cadre_id):
        period = secondments.period(secondment)
        if period is not None and period.covers(day):
            return secondment
    return None


async def unit_command(store: Store, cmd: Any, meta: CommandMeta) -> AppendResult:
    return await execute(
        store, stream_id=cmd.unit_id, stream_type="unit", decide=units.decide, evolve=_evolve_unit,
        initial=units.INITIAL, command=cmd, meta=meta,
    )


async def cadre_command(store: Store, cmd: Any, meta: CommandMeta) -> AppendResult:
    async def facts(_: cadres.Cadre) -> dict[str, Any]:
        if isinstance(cmd, RegisterCadre):
            return {"unit": await unit_state(store, cmd.unit_id)}
        if isinstance(cmd, ChangePost):
            return {"away": any(s.stage in AWAY_STAGES for s in await secondments_of(store, cmd.cadre_id))}
        return {}

    return await execute(
        store, stream_id=cmd.cadre_id, stream_type="cadre", decide=cadres.decide, evolve=_evolve_cadre,
        initial=cadres.INITIAL, command=cmd, meta=meta, context=facts,
    )


async def secondment_command(store: Store, cmd: Any, meta: CommandMeta) -> AppendResult:
    """Any command on a secondment, with the policy in force on the command's day."""

    async def facts(state: secondments.Secondment) -> dict[str, Any]:
        found: dict[str, Any] = {"policy": secondment_policy_on(cmd.today)}
        if isinstance(cmd, NominateCadre):
            found["cadre"] = await cadre_state(store, cmd.cadre_id)
            found["open_secondment_id"] = next(
                (s.secondment_id for s in await secondments_of(store, cmd.cadre_id) if s.stage in OPEN_STAGES), None)
        elif isinstance(cmd, StartSecondment) and state.exists:
            found["cadre"] = await cadre_state(store, state.cadre_id)
        return found

    async def run() -> AppendResult:
        return await execute(
            store, stream_id=cmd.secondment_id, stream_type="secondment", decide=secondments.decide,
            evolve=_evolve_secondment, initial=secondments.INITIAL, command=cmd, meta=meta, context=facts,
        )

    if isinstance(cmd, NominateCadre):  # one open secondment per cadre: a rule over several streams
        async with _nominations.hold(cmd.cadre_id):
            return await run()
    return await run()
