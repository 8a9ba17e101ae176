"""Meetings read model (``meetings_view``): the meetings each organisation held (三会一课), who attended
and whether a quorum was met."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.kernel.events import Envelope
from services.kernel.projection import Op
from services.membership.contract.events.meetings import MeetingDateCorrected, MeetingRecorded

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.meetings_view (
    meeting_id text PRIMARY KEY,
    org_id text NOT NULL,
    kind text NOT NULL,
    held_on date NOT NULL,
    present int NOT NULL,
    certificate_holders_present int NOT NULL,
    entitled_voters int NOT NULL,
    voters_present int NOT NULL,
    quorum_met boolean,
    by_secretary boolean NOT NULL,
    minutes_ref text NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS meetings_view_org ON {schema}.meetings_view (org_id, held_on);
"""


#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (MeetingRecorded, MeetingDateCorrected)


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    match event:
        case MeetingRecorded():
            return [(
                f"INSERT INTO {q}.meetings_view (meeting_id, org_id, kind, held_on, present,"
                " certificate_holders_present, entitled_voters, voters_present, quorum_met, by_secretary,"
                " minutes_ref, position) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
                (event.meeting_id, event.org_id, event.kind.value, event.held_on, len(event.present_ids),
                 len(event.certificate_holders_present), event.entitled_voters, event.voters_present,
                 event.quorum_met, event.lecturer_is_secretary, event.minutes_ref, env.position or 0),
            )]
        case MeetingDateCorrected():
            # A correction replaces the day and the counts taken against that day's roster.
            return [(
                f"UPDATE {q}.meetings_view SET held_on = $2, entitled_voters = $3, voters_present = $4,"
                " quorum_met = $5, position = $6 WHERE meeting_id = $1",
                (event.meeting_id, event.held_on, event.entitled_voters, event.voters_present, event.quorum_met,
                 env.position or 0),
            )]
        case _:
            return []


async def held(pool: asyncpg.Pool, org_id: str, year: int) -> list[asyncpg.Record]:
    """(kind, held_on, by_secretary) of each meeting one organisation held in ``year``."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT kind, held_on, by_secretary FROM meetings_view WHERE org_id = $1 AND extract(year FROM held_on) = $2",
        org_id, year,
    )
    return rows
