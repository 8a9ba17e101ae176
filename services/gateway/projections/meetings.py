"""Organisational-life read model: meetings held per organisation, and training hours per member and year."""

from __future__ import annotations

from typing import Any

from services.kernel.events import Envelope
from services.kernel.projection import Op
from services.membership.contract.events.meetings import MeetingRecorded, TrainingRecorded

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
CREATE TABLE IF NOT EXISTS {schema}.training_view (
    member_id text NOT NULL,
    year int NOT NULL,
    hours numeric NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (member_id, year)
);
"""


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case MeetingRecorded():
            return [(
                f"INSERT INTO {q}.meetings_view (meeting_id, org_id, kind, held_on, present,"
                " certificate_holders_present, entitled_voters, voters_present, quorum_met, by_secretary,"
                " minutes_ref, position) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
                (event.meeting_id, event.org_id, event.kind.value, event.held_on, len(event.present_ids),
                 len(event.certificate_holders_present), event.entitled_voters, event.voters_present,
                 event.quorum_met, event.lecturer_is_secretary, event.minutes_ref, pos),
            )]
        case TrainingRecorded():
            return [(
                f"INSERT INTO {q}.training_view (member_id, year, hours, position) VALUES ($1, $2, $3, $4)"
                f" ON CONFLICT (member_id, year) DO UPDATE SET hours = {q}.training_view.hours + EXCLUDED.hours,"
                " position = EXCLUDED.position",
                (event.member_id, event.trained_on.year, event.hours, pos),
            )]
        case _:
            return []
