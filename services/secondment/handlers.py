"""Secondment command handlers: load, fold, decide, append — each reading, typed, the facts its rules need.

One handler per kind of command, bound by reference in the contract's route rows. The facts about
other records (the cadre's unit, the cadre, the cadre's other secondments) are read inside the
``decide`` closure, after ``execute`` has answered a retried command from its first result and loaded
the record's own stream, and go to the pure domain as typed keyword arguments.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar, cast

import asyncpg

from services.kernel import policy_stream
from services.kernel.handling import execute, fold, state_of
from services.kernel.reservations import Reservations
from services.kernel.store import AppendResult, CommandMeta, EventStore
from services.pure.dates import effective_on
from services.pure.policy_data import (
    PublishPolicyChange,
    in_force,
)
from services.secondment.contract.commands import (
    ChangePost,
    DecideEarlyEnd,
    DecideExtension,
    DecideNomination,
    EndSecondment,
    LinkMember,
    ListAsReserveCadre,
    NominateCadre,
    ProposeCommendation,
    ProposePromotion,
    RecordCheckIn,
    RecordContribution,
    RegisterCadre,
    RegisterUnit,
    RequestEarlyEnd,
    RequestExtension,
    StartSecondment,
    UnitCommand,
)
from services.secondment.contract.events import CadreEvent, SecondmentEvent, UnitEvent
from services.secondment.domain import cadres, secondments, units
from services.secondment.domain.secondment_state import Stage
from services.secondment.policy import DEFAULT_SECONDMENT_POLICIES, POLICY_BOOK, SecondmentPolicy

Store = EventStore[Any]
S = TypeVar("S")
E = TypeVar("E")
#: What ``execute`` runs on a record's state: the pure decision, after reading (awaited) any facts it needs.
Decide = Callable[[S], list[E] | Awaitable[list[E]]]

#: The steps on a secondment whose rules need nothing but its own stream and the policy in force.
SecondmentStep = (
    DecideNomination | RecordCheckIn | RecordContribution | RequestExtension | DecideExtension | RequestEarlyEnd
    | DecideEarlyEnd | EndSecondment | ProposeCommendation | ProposePromotion | ListAsReserveCadre
)

# A stream holds only its own aggregate's events (the handler chooses the stream by record id), so
# each aggregate's evolve is used on the service-wide event type at this one boundary.
_evolve_unit = cast(Callable[[units.Unit, Any], units.Unit], units.evolve)
_evolve_cadre = cast(Callable[[cadres.Cadre, Any], cadres.Cadre], cadres.evolve)
_evolve_secondment = cast(Callable[[secondments.Secondment, Any], secondments.Secondment], secondments.evolve)

#: Stages in which a secondment still blocks a new nomination of the same cadre.
OPEN_STAGES = (Stage.NOMINATED, Stage.APPROVED, Stage.AWAY, Stage.UNPAID_LEAVE)
#: Stages in which the cadre's post, rank and pay are frozen (A: unchanged while away).
AWAY_STAGES = (Stage.AWAY, Stage.UNPAID_LEAVE)

INDEXES = """
CREATE INDEX IF NOT EXISTS events_secondment_cadre ON events ((data::jsonb ->> 'cadre_id'))
    WHERE type = 'gb.secondment.secondment_nominated.v1';
CREATE INDEX IF NOT EXISTS events_unit_township ON events ((data::jsonb ->> 'township_id'))
    WHERE type = 'gb.secondment.unit_registered.v1';
"""
#: Whether a registered unit names $1 as its township (by events_unit_township).
NAMED_AS_TOWNSHIP = ("SELECT EXISTS (SELECT 1 FROM events WHERE type = 'gb.secondment.unit_registered.v1'"
                     " AND data::jsonb ->> 'township_id' = $1)")


async def install(pool: asyncpg.Pool) -> None:
    await pool.execute(INDEXES)


async def unit_state(store: Store, unit_id: str) -> units.Unit:
    return state_of(await store.load(unit_id), _evolve_unit, units.INITIAL, kind="unit")


async def cadre_state(store: Store, cadre_id: str) -> cadres.Cadre:
    return state_of(await store.load(cadre_id), _evolve_cadre, cadres.INITIAL, kind="cadre")


async def secondments_of(store: Store, cadre_id: str) -> list[secondments.Secondment]:
    """Every secondment the cadre was nominated for, oldest first."""
    rows = await store.pool.fetch(
        "SELECT stream_id FROM events WHERE type = 'gb.secondment.secondment_nominated.v1'"
        " AND data::jsonb ->> 'cadre_id' = $1 ORDER BY position", cadre_id,
    )
    return [state_of(await store.load(r["stream_id"]), _evolve_secondment, secondments.INITIAL, kind="secondment")
            for r in rows]


def back_from(earlier: Sequence[secondments.Secondment], but: str = "") -> date | None:
    """The last day away of the cadre's latest ended secondment (other than ``but``): what a new departure and a
    post change must come after."""
    return max((s.last_day for s in earlier if s.secondment_id != but and s.departed_on is not None
                and s.last_day is not None), default=None)


async def secondment_on(store: Store, cadre_id: str, day: date) -> secondments.Secondment | None:
    """The cadre's secondment whose time away covers ``day`` (departure through the last day), if any."""
    for secondment in await secondments_of(store, cadre_id):
        period = secondments.period(secondment)
        if period is not None and period.covers(day):
            return secondment
    return None


async def unit_command(store: Store, cmd: UnitCommand, meta: CommandMeta) -> AppendResult:
    """Register a unit or change its headcount: the unit's own stream is all its rules need."""

    async def decide(state: units.Unit) -> list[UnitEvent]:
        if not isinstance(cmd, RegisterUnit):
            return units.decide(state, cmd)
        return units.decide(state, cmd, unit_is_township=await _named_as_township(store, cmd.unit_id),
                            township_is_unit=(await unit_state(store, cmd.township_id)).exists)

    return await execute(store, stream_id=cmd.unit_id, stream_type="unit", evolve=_evolve_unit,
                         initial=units.INITIAL, decide=recorded(store, cmd, decide), meta=meta)


async def _named_as_township(store: Store, org_id: str) -> bool:
    """Whether a registered unit names ``org_id`` as its township."""
    found: bool = await store.pool.fetchval(NAMED_AS_TOWNSHIP, org_id)
    return found


async def register_cadre(store: Store, cmd: RegisterCadre, meta: CommandMeta) -> AppendResult:
    """Register a cadre in a unit that exists; the unit's township scopes the sending unit."""

    async def decide(state: cadres.Cadre) -> list[CadreEvent]:
        return cadres.decide(state, cmd, unit=await unit_state(store, cmd.unit_id))

    return await _on_cadre(store, cmd.cadre_id, recorded(store, cmd, decide), meta)


async def change_post(store: Store, cmd: ChangePost, meta: CommandMeta) -> AppendResult:
    """Change a cadre's post, rank or pay grade — refused while any of the cadre's secondments is away. A departure
    recorded meanwhile (on any instance) holds the cadre's away key, which the change needs free: it then reads
    the secondments again and is refused."""

    async def decide(state: cadres.Cadre) -> list[CadreEvent]:
        earlier = await secondments_of(store, cmd.cadre_id)
        away = any(s.stage in AWAY_STAGES for s in earlier)
        return cadres.decide(state, cmd, away=away, back_from=back_from(earlier))

    return await execute(store, stream_id=cmd.cadre_id, stream_type="cadre", evolve=_evolve_cadre,
                         initial=cadres.INITIAL, decide=recorded(store, cmd, decide), meta=meta,
                         reserve=lambda _, __: Reservations(free=(away_key(cmd.cadre_id),)))


async def link_member(store: Store, cmd: LinkMember, meta: CommandMeta) -> AppendResult:
    """Link a cadre to the member record of the same person; the cadre's own stream is all its rule needs here
    (the gateway has checked the member in its read models before forwarding)."""

    def decide(state: cadres.Cadre) -> list[CadreEvent]:
        return cadres.decide(state, cmd)

    return await _on_cadre(store, cmd.cadre_id, recorded(store, cmd, decide), meta)


async def nominate_cadre(store: Store, cmd: NominateCadre, meta: CommandMeta) -> AppendResult:
    """Nominate a cadre: one open secondment per cadre is a rule over several streams, held by the key the
    nomination claims in its own append (``secondment_keys``); a nomination that loses the race for it reads
    the cadre's secondments again and is refused like any nomination of a cadre already nominated."""
    policy = await secondment_policy(store, effective_on(cmd))

    async def decide(state: secondments.Secondment) -> list[SecondmentEvent]:
        cadre = await cadre_state(store, cmd.cadre_id)
        open_id = next(
            (s.secondment_id for s in await secondments_of(store, cmd.cadre_id) if s.stage in OPEN_STAGES), None)
        return secondments.decide(state, cmd, policy=policy, cadre=cadre, open_secondment_id=open_id)

    return await _on_secondment(store, cmd.secondment_id, recorded(store, cmd, decide), meta)


async def start_secondment(store: Store, cmd: StartSecondment, meta: CommandMeta) -> AppendResult:
    """Record the departure with a snapshot of the nominated cadre's post, rank, pay and relations: the snapshot
    is appended only if the cadre's record is still at the version it was taken from."""
    policy = await secondment_policy(store, effective_on(cmd))
    read: list[tuple[str, int]] = []  # the cadre's record as this attempt's decide read it

    async def decide(state: secondments.Secondment) -> list[SecondmentEvent]:
        # No secondment, no cadre to read: the domain answers "no secondment" before it looks at the cadre.
        cadre, back = cadres.INITIAL, None
        if state.exists:
            stream = await store.load(state.cadre_id)
            read[:] = [(state.cadre_id, stream.version)]
            cadre = state_of(stream, _evolve_cadre, cadres.INITIAL, kind="cadre")
            # The cadre's other secondments have ended (one open secondment per cadre), so their last days stand.
            back = back_from(await secondments_of(store, state.cadre_id), but=state.secondment_id)
        return secondments.decide(state, cmd, policy=policy, cadre=cadre, back_from=back)

    return await _on_secondment(store, cmd.secondment_id, recorded(store, cmd, decide), meta, read=read)


async def secondment_step(store: Store, cmd: SecondmentStep, meta: CommandMeta) -> AppendResult:
    """Any other step on a secondment, with the policy in force on the command's day."""
    policy = await secondment_policy(store, effective_on(cmd))

    def decide(state: secondments.Secondment) -> list[SecondmentEvent]:
        return secondments.decide(state, cmd, policy=policy)

    return await _on_secondment(store, cmd.secondment_id, recorded(store, cmd, decide), meta)


async def secondment_policy(store: Store, day: date) -> SecondmentPolicy:
    """The secondment policy in force on ``day``: its code version overlaid with the county's published changes
    (a tiny stream, read before the record's own: a change published meanwhile starts after today)."""
    return in_force(DEFAULT_SECONDMENT_POLICIES, await policy_stream.published_changes(store), "secondment", day)


async def publish_policy_change(store: Store, cmd: PublishPolicyChange, meta: CommandMeta) -> AppendResult:
    """A county setting of secondment changed from a day after today: one event on the policy stream."""
    return await policy_stream.publish_policy_change(store, cmd, meta, POLICY_BOOK)


def recorded(store: Store, cmd: Any, decide: Callable[[S], Any]) -> Callable[[S], Awaitable[list[Any]]]:
    """``decide`` behind the recording rule, by the secondment policy in force on the recording day as published."""
    return policy_stream.recorded(store, cmd, decide, _secondment_on)


def _secondment_on(published: policy_stream.Published, day: date) -> policy_stream.RecordingPolicy:
    return in_force(DEFAULT_SECONDMENT_POLICIES, published, "secondment", day)


async def _on_cadre(
    store: Store, cadre_id: str, decide: Callable[[cadres.Cadre], Awaitable[list[CadreEvent]]], meta: CommandMeta
) -> AppendResult:
    return await execute(store, stream_id=cadre_id, stream_type="cadre", evolve=_evolve_cadre,
                         initial=cadres.INITIAL, decide=decide, meta=meta)


async def _on_secondment(
    store: Store, secondment_id: str, decide: Decide[secondments.Secondment, SecondmentEvent], meta: CommandMeta,
    *, read: Sequence[tuple[str, int]] = (),
) -> AppendResult:
    """Run a step on a secondment; ``read`` is filled by ``decide`` with the other records it read (and their
    versions), which must not have moved on when the step is appended."""
    return await execute(
        store, stream_id=secondment_id, stream_type="secondment", evolve=_evolve_secondment,
        initial=secondments.INITIAL, decide=decide, meta=meta,
        reserve=lambda before, events: replace(secondment_keys(before, events), read=tuple(read)))


def away_key(cadre_id: str) -> str:
    return f"away:{cadre_id}"


def secondment_keys(before: secondments.Secondment, events: Sequence[SecondmentEvent]) -> Reservations:
    """The cadre's keys a secondment holds, each claimed and released in the transaction of the event that
    makes it so: ``open-secondment:<cadre>`` from the nomination until it leaves the open stages (rejected,
    returned, ended early) — one open secondment per cadre; ``away:<cadre>`` while the cadre is away — their
    post is frozen meanwhile (``change_post``)."""
    after = fold(_evolve_secondment, before, events)
    claim: list[str] = []
    release: list[str] = []
    for key, stages in ((f"open-secondment:{after.cadre_id}", OPEN_STAGES), (away_key(after.cadre_id), AWAY_STAGES)):
        held_before = before.exists and before.stage in stages
        held_after = after.exists and after.stage in stages
        if held_after and not held_before:
            claim.append(key)
        elif held_before and not held_after:
            release.append(key)
    return Reservations(claim=tuple(claim), release=tuple(release))
