"""Secondments read model: the roster (``secondments_view``, one row per secondment from nomination to
return) with its check-ins (``secondment_check_ins``) and contributions (``secondment_contributions``).

Every row is written by one secondment's events only, because the projector applies partitions
concurrently; the joins with cadres and the 5 % report are made when read.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, TypeAlias

import asyncpg
import orjson

from services.gateway.readmodels.policies import policy_in_force
from services.kernel.events import Envelope
from services.kernel.projection import Op, update
from services.pure.dates import add_months
from services.secondment.contract.events import (
    CadreReturned,
    CheckInRecorded,
    CommendationProposed,
    ContributionRecorded,
    EarlyEndRefused,
    EarlyEndRequested,
    ExtensionRefused,
    ExtensionRequested,
    NominationApproved,
    NominationRejected,
    PromotionProposed,
    ReserveCadreListed,
    Route,
    SecondmentEndedEarly,
    SecondmentExtended,
    SecondmentNominated,
    SecondmentStarted,
    UnpaidLeaveGranted,
)
from services.secondment.contract.values import tally

#: A pool, or one connection when several reads must see one snapshot.
Reader: TypeAlias = asyncpg.Pool | asyncpg.Connection

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.secondments_view (
    secondment_id text PRIMARY KEY,
    cadre_id text NOT NULL,
    unit_id text NOT NULL,
    township_id text NOT NULL,
    route text NOT NULL,
    stage text NOT NULL,
    placement jsonb NOT NULL,
    nominated_on date NOT NULL,
    approved_on date,
    rejected_on date,
    rejection_reason text,
    departed_on date,
    term_months int,
    planned_end date,
    extension_months int NOT NULL DEFAULT 0,
    snapshot jsonb,
    check_ins int NOT NULL DEFAULT 0,
    last_check_in_on date,
    contributions int NOT NULL DEFAULT 0,
    capital_total_yuan numeric NOT NULL DEFAULT 0,
    projects int NOT NULL DEFAULT 0,
    talent_people int NOT NULL DEFAULT 0,
    pending jsonb,
    last_day date,
    outcome text,
    commendation jsonb,
    commendation_proposed_on date,
    promotion_proposed_on date,
    reserve_listed_on date,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS secondments_view_township ON {schema}.secondments_view (township_id, stage);
CREATE INDEX IF NOT EXISTS secondments_view_cadre ON {schema}.secondments_view (cadre_id);
CREATE TABLE IF NOT EXISTS {schema}.secondment_contributions (
    secondment_id text NOT NULL,
    contribution_id text NOT NULL,
    kind text NOT NULL,
    description text NOT NULL,
    amount_yuan numeric,
    contributed_on date NOT NULL,
    source_ref text,
    position bigint NOT NULL,
    people int,
    PRIMARY KEY (secondment_id, contribution_id)
);
CREATE TABLE IF NOT EXISTS {schema}.secondment_check_ins (
    secondment_id text NOT NULL,
    position bigint NOT NULL,
    checked_in_on date NOT NULL,
    due_on date NOT NULL,
    late boolean NOT NULL,
    PRIMARY KEY (secondment_id, position)
);
"""
_TABLE = "secondments_view"
#: How a secondment ends: its stage and outcome.
_ENDINGS = {SecondmentEndedEarly: ("ended_early", "return_to_post"), CadreReturned: ("returned", "return_to_post"),
            UnpaidLeaveGranted: ("unpaid_leave", "unpaid_leave")}


def _json(value: Any) -> str:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return orjson.dumps(value, default=str).decode()


def next_check_in_due(row: asyncpg.Record | dict[str, Any], interval_months: int) -> date | None:
    """When an away secondment's next check-in is due: ``interval_months`` after the last check-in (or the
    departure), as services.secondment.domain.secondments.due_items computes it; None unless the cadre is away.

    Computed when read, with the interval of the policy in force on the day judged (``check_in_interval``): the
    service judges a check-in late by the policy of its own day, so a published change of the interval moves
    the due dates read from its effective day on, and no stored date goes stale."""
    if row["stage"] != "away" or row["departed_on"] is None:
        return None
    return add_months(row["last_check_in_on"] or row["departed_on"], interval_months)


async def check_in_interval(pool: asyncpg.Pool, day: date) -> int:
    """The check-in interval (months) of the secondment policy in force on ``day``, published changes included."""
    return int((await policy_in_force(pool, "secondment", "secondment", day)).check_in_interval_months)


#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (
    SecondmentNominated, NominationApproved, NominationRejected, SecondmentStarted, CheckInRecorded,
    ContributionRecorded, ExtensionRequested, EarlyEndRequested, SecondmentExtended, CommendationProposed,
    PromotionProposed, ReserveCadreListed, ExtensionRefused, EarlyEndRefused, SecondmentEndedEarly,
    CadreReturned, UnpaidLeaveGranted,
)


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case SecondmentNominated():
            return [(
                f"INSERT INTO {q}.secondments_view (secondment_id, cadre_id, unit_id, township_id, route, stage,"
                " placement, nominated_on, position) VALUES ($1,$2,$3,$4,$5,'nominated',$6::jsonb,$7,$8)",
                (event.secondment_id, event.cadre_id, event.unit_id, event.township_id, event.route.value,
                 _json(event.placement), event.nominated_on, pos),
            )]
        case NominationApproved():
            return [update(q, _TABLE, "secondment_id", event.secondment_id, pos, stage="approved",
                           approved_on=event.approved_on)]
        case NominationRejected():
            return [update(q, _TABLE, "secondment_id", event.secondment_id, pos, stage="rejected",
                           rejected_on=event.rejected_on, rejection_reason=event.reason)]
        case SecondmentStarted():
            return [(
                f"UPDATE {q}.secondments_view SET stage = 'away', departed_on = $2, placement = $3::jsonb,"
                " snapshot = $4::jsonb, term_months = $5, planned_end = $6, position = $7 WHERE secondment_id = $1",
                (event.secondment_id, event.departed_on, _json(event.placement), _json(event.snapshot),
                 event.term_months, event.planned_end, pos),
            )]
        case CheckInRecorded():
            # A check-in recorded after the return counts; no next one is due (next_check_in_due reads the stage).
            return [
                (f"UPDATE {q}.secondments_view SET check_ins = check_ins + 1, last_check_in_on = $2, position = $3"
                 " WHERE secondment_id = $1",
                 (event.secondment_id, event.checked_in_on, pos)),
                (f"INSERT INTO {q}.secondment_check_ins (secondment_id, position, checked_in_on, due_on, late)"
                 " VALUES ($1,$2,$3,$4,$5)",
                 (event.secondment_id, pos, event.checked_in_on, event.due_on, event.late)),
            ]
        case ContributionRecorded():
            # The same tally the commendation rule counts (services/secondment/domain/commendation.py).
            figures = tally((event,))
            return [
                (f"UPDATE {q}.secondments_view SET contributions = contributions + 1,"
                 " capital_total_yuan = capital_total_yuan + $2, projects = projects + $3,"
                 " talent_people = talent_people + $4, position = $5 WHERE secondment_id = $1",
                 (event.secondment_id, figures.capital_yuan, figures.projects, figures.talent_people, pos)),
                (f"INSERT INTO {q}.secondment_contributions (secondment_id, contribution_id, kind, description,"
                 " amount_yuan, contributed_on, source_ref, people, position) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                 (event.secondment_id, event.contribution_id, event.kind.value, event.description,
                  event.amount_yuan, event.contributed_on, event.source_ref, event.people, pos)),
            ]
        case ExtensionRequested():
            return [_pending(q, event.secondment_id, pos, {"kind": "extension", "months": event.months,
                                                           "requested_on": event.requested_on,
                                                           "reason": event.reason})]
        case EarlyEndRequested():
            return [_pending(q, event.secondment_id, pos, {"kind": "early_end", "last_day": event.last_day,
                                                           "requested_on": event.requested_on,
                                                           "reason": event.reason})]
        case ExtensionRefused() | EarlyEndRefused():
            return [_pending(q, event.secondment_id, pos, None)]
        case SecondmentExtended():
            return [(
                f"UPDATE {q}.secondments_view SET planned_end = $2, extension_months = extension_months + $3,"
                " pending = NULL, position = $4 WHERE secondment_id = $1",
                (event.secondment_id, event.new_end, event.months, pos),
            )]
        case SecondmentEndedEarly() | CadreReturned() | UnpaidLeaveGranted():
            stage, outcome = _ENDINGS[type(event)]
            return [(
                f"UPDATE {q}.secondments_view SET stage = $2, outcome = $3, last_day = $4, pending = NULL,"
                " position = $5 WHERE secondment_id = $1",
                (event.secondment_id, stage, outcome, event.last_day, pos),
            )]
        case CommendationProposed():
            return [(
                f"UPDATE {q}.secondments_view SET commendation_proposed_on = $2, commendation = $3::jsonb,"
                " position = $4 WHERE secondment_id = $1",
                (event.secondment_id, event.proposed_on, _json({
                    "proposed_on": event.proposed_on, "qualified": list(event.qualified),
                    "counted": list(event.counted), "capital_total_yuan": str(event.capital_total_yuan),
                    "threshold_yuan": str(event.threshold_yuan), "projects": event.projects,
                    "project_threshold": event.project_threshold, "talent_people": event.talent_people,
                    "talent_threshold": event.talent_threshold, "reason": event.reason,
                    "policy_version": event.policy_version}), pos),
            )]
        case PromotionProposed():
            return [update(q, _TABLE, "secondment_id", event.secondment_id, pos,
                           promotion_proposed_on=event.proposed_on)]
        case ReserveCadreListed():
            return [update(q, _TABLE, "secondment_id", event.secondment_id, pos, reserve_listed_on=event.listed_on)]
        case _:
            return []


def _pending(q: str, secondment_id: str, pos: int, pending: dict[str, Any] | None) -> Op:
    return (f"UPDATE {q}.secondments_view SET pending = $2::jsonb, position = $3 WHERE secondment_id = $1",
            (secondment_id, None if pending is None else _json(pending), pos))


_ROSTER = ("SELECT s.*, c.name AS cadre_name, c.member_id AS cadre_member_id FROM secondments_view s"
           " LEFT JOIN cadres_view c USING (cadre_id)")


async def roster(pool: asyncpg.Pool, *, township: str | None, unit_id: str | None, stage: str | None,
                 after: str | None, limit: int) -> list[asyncpg.Record]:
    """Secondments with their cadre's name and linked member id, ordered by id after the cursor, ``limit`` at most."""
    rows: list[asyncpg.Record] = await pool.fetch(
        f"{_ROSTER} WHERE ($1::text IS NULL OR s.township_id = $1) AND ($2::text IS NULL OR s.unit_id = $2)"
        " AND ($3::text IS NULL OR s.stage = $3) AND ($4::text IS NULL OR s.secondment_id > $4)"
        " ORDER BY s.secondment_id LIMIT $5",
        township, unit_id, stage, after, limit,
    )
    return rows


async def away(pool: asyncpg.Pool, township: str | None) -> list[asyncpg.Record]:
    """Secondments of cadres away now (every township or one), with their cadre's name."""
    rows: list[asyncpg.Record] = await pool.fetch(
        f"{_ROSTER} WHERE s.stage = 'away' AND ($1::text IS NULL OR s.township_id = $1) ORDER BY s.secondment_id",
        township)
    return rows


async def secondment(pool: Reader, secondment_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(f"{_ROSTER} WHERE s.secondment_id = $1", secondment_id)
    return row


@dataclasses.dataclass(frozen=True)
class SecondmentDetail:
    row: asyncpg.Record
    contributions: list[asyncpg.Record]
    check_ins: list[asyncpg.Record]


async def detail(pool: asyncpg.Pool, secondment_id: str) -> SecondmentDetail | None:
    """The secondment with its contributions and check-ins, read in one snapshot: the projector commits between
    separate reads, and a contribution listed but not yet in the row's total is a view that never existed."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        row = await secondment(conn, secondment_id)
        if row is None:
            return None
        return SecondmentDetail(row, await contributions(conn, secondment_id), await check_ins(conn, secondment_id))


async def of_cadre(pool: asyncpg.Pool, cadre_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT secondment_id, stage, route, departed_on, planned_end, last_day FROM secondments_view"
        " WHERE cadre_id = $1 ORDER BY nominated_on", cadre_id)
    return rows


async def contributions(pool: Reader, secondment_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT contribution_id, kind, description, amount_yuan, people, contributed_on, source_ref"
        " FROM secondment_contributions WHERE secondment_id = $1 ORDER BY contributed_on, position", secondment_id)
    return rows


async def check_ins(pool: Reader, secondment_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT checked_in_on, due_on, late FROM secondment_check_ins WHERE secondment_id = $1 ORDER BY position",
        secondment_id)
    return rows


async def staff_out(pool: Reader, township: str | None, on: date) -> dict[tuple[str, Route], int]:
    """Secondments out on ``on`` (every township or one), counted by township and route: the periods the 5 % rule
    counts — ``SecondmentPeriod.covers``, the day inside [departed_on, last_day] — counted where they are stored
    (tests/integration/test_staff_out.py holds the two the same)."""
    return {
        (r["township_id"], Route(r["route"])): r["n"]
        for r in await pool.fetch(
            "SELECT township_id, route, count(*) AS n FROM secondments_view"
            " WHERE departed_on <= $2 AND (last_day IS NULL OR last_day >= $2)"
            " AND ($1::text IS NULL OR township_id = $1) GROUP BY township_id, route",
            township, on)
    }