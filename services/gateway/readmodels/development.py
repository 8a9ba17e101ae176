"""Member development read model (``development_view``): one row per case, its stage and the date of
each step, from application to full membership (B6)."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from services.gateway.readmodels.members import ERASED_NAME
from services.kernel.events import Envelope, encode
from services.kernel.projection import Op, update
from services.membership.contract.events.development import (
    ActivistDesignated,
    ActivistFileTransferred,
    AdmissionVoteHeld,
    ApplicantInterviewed,
    ApplicationSubmitted,
    Converted,
    DevelopmentCaseCancelled,
    DevelopmentTargetDesignated,
    ProbationaryAdmitted,
    ProbationCancelled,
    ProbationExtended,
)
from services.membership.contract.events.members import PersonalDataErased

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.development_view (
    person_id text PRIMARY KEY,
    name text NOT NULL,
    org_id text NOT NULL,
    stage text NOT NULL,
    stage_since date NOT NULL,
    applied_on date NOT NULL,
    interviewed_on date,
    activist_on date,
    activist_org_id text,
    target_on date,
    vote_on date,
    admitted_on date,
    admitting_org_id text,
    probation_end date,
    converted_on date,
    is_mobile boolean NOT NULL,
    national_id text,
    contact jsonb,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS development_view_org ON {schema}.development_view (org_id, stage);
-- The people erased (their name is ERASED_NAME): see members_view_erased.
CREATE INDEX IF NOT EXISTS development_view_erased ON {schema}.development_view (person_id)
    WHERE name = '""" + ERASED_NAME + """';
"""

STAGES = ("applicant", "activist", "development_target", "probationary", "full", "cancelled")


def _set(q: str, person_id: str, pos: int, **columns: Any) -> Op:
    return update(q, "development_view", "person_id", person_id, pos, **columns)


#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (
    ApplicationSubmitted, ApplicantInterviewed, ActivistDesignated, ActivistFileTransferred,
    DevelopmentTargetDesignated, AdmissionVoteHeld, ProbationaryAdmitted, ProbationExtended, Converted,
    ProbationCancelled, DevelopmentCaseCancelled, PersonalDataErased,
)


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case ApplicationSubmitted():
            return [(
                f"INSERT INTO {q}.development_view (person_id, name, org_id, stage, stage_since, applied_on,"
                " is_mobile, national_id, contact, position) VALUES ($1, $2, $3, 'applicant', $4, $4, $5, $6,"
                " $7::jsonb, $8)",
                (event.person_id, event.name, event.org_id, event.applied_on, event.is_mobile, event.national_id,
                 encode(event.contact).decode(), pos),
            )]
        case ApplicantInterviewed():
            return [_set(q, event.person_id, pos, interviewed_on=event.interviewed_on)]
        case ActivistDesignated():
            return [_set(q, event.person_id, pos, stage="activist", stage_since=event.designated_on,
                         activist_on=event.designated_on, activist_org_id=event.org_id, org_id=event.org_id)]
        case ActivistFileTransferred():
            return [_set(q, event.person_id, pos, org_id=event.to_org_id)]
        case DevelopmentTargetDesignated():
            return [_set(q, event.person_id, pos, stage="development_target", stage_since=event.designated_on,
                         target_on=event.designated_on)]
        case AdmissionVoteHeld() if event.passed:
            return [_set(q, event.person_id, pos, vote_on=event.held_on)]
        case ProbationaryAdmitted():
            # The member's own row is the members read model's (members.py).
            return [_set(q, event.person_id, pos, stage="probationary", stage_since=event.approved_on,
                         admitted_on=event.approved_on, admitting_org_id=event.org_id,
                         probation_end=event.probation_end)]
        case ProbationExtended():
            return [_set(q, event.person_id, pos, probation_end=event.new_end)]
        case Converted():
            return [_set(q, event.person_id, pos, stage="full", stage_since=event.approved_on,
                         converted_on=event.approved_on)]
        case ProbationCancelled():
            return [_set(q, event.person_id, pos, stage="cancelled", stage_since=event.approved_on)]
        case DevelopmentCaseCancelled():
            return [_set(q, event.person_id, pos, stage="cancelled", stage_since=event.cancelled_on)]
        case PersonalDataErased():
            # The applicant's case forgets them too: no name, no masked number or phone.
            return [(
                f"UPDATE {q}.development_view SET name = $2, national_id = '', contact = '{{}}'::jsonb,"
                " position = $3 WHERE person_id = $1",
                (event.member_id, ERASED_NAME, pos),
            )]
        case _:
            return []


async def case(pool: asyncpg.Pool, person_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow("SELECT * FROM development_view WHERE person_id = $1",
                                                     person_id)
    return row


async def cases(pool: asyncpg.Pool, *, after: str | None, org_ids: list[str] | None, stage: str | None,
                limit: int) -> list[asyncpg.Record]:
    """Cases of ``org_ids`` (None: all) ordered by person id after the cursor, ``limit`` rows at most."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT * FROM development_view WHERE ($1::text IS NULL OR person_id > $1)"
        " AND ($2::text[] IS NULL OR org_id = ANY($2)) AND ($3::text IS NULL OR stage = $3)"
        " ORDER BY person_id LIMIT $4",
        after, org_ids, stage, limit,
    )
    return rows


async def stages(pool: asyncpg.Pool, org_ids: list[str] | None, as_of: date) -> list[asyncpg.Record]:
    """Per stage, of ``org_ids``' cases (None: all): cases, days in stage (average, longest) on ``as_of`` (the
    caller's day: the county's today by default — never the database's ``current_date``, the UTC day, a day behind
    the county's from 16:00 to 24:00 UTC), and how many cases have an overdue step in the due-items read model."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT d.stage, count(*) AS cases,"
        " round(avg($2::date - d.stage_since), 1) AS avg_days_in_stage,"
        " max($2::date - d.stage_since) AS max_days_in_stage,"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM due_items_view u WHERE u.subject_id = d.person_id"
        "   AND u.overdue)) AS with_overdue_steps"
        " FROM development_view d WHERE ($1::text[] IS NULL OR d.org_id = ANY($1)) GROUP BY d.stage",
        org_ids, as_of,
    )
    return rows


async def steps_in_year(pool: asyncpg.Pool, year: int) -> list[asyncpg.Record]:
    """Cases with an activist designated or an admission approved in ``year``, with those dates and branches."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT activist_org_id, activist_on, admitting_org_id, admitted_on FROM development_view"
        " WHERE extract(year FROM activist_on) = $1 OR extract(year FROM admitted_on) = $1", year,
    )
    return rows
