"""Member development read model: one row per case, the stage and the date of each step (B6)."""

from __future__ import annotations

from typing import Any

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
"""


def _set(q: str, person_id: str, pos: int, **columns: Any) -> Op:
    return update(q, "development_view", "person_id", person_id, pos, **columns)


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
            # The person becomes a (probationary) member of the admitting branch: same stream, same
            # partition, so their case row is already here.
            return [
                _set(q, event.person_id, pos, stage="probationary", stage_since=event.approved_on,
                     admitted_on=event.approved_on, admitting_org_id=event.org_id, probation_end=event.probation_end),
                (f"INSERT INTO {q}.members_view (member_id, name, national_id, formal_org_id, status, contact,"
                 " joined_on, position) SELECT person_id, name, coalesce(national_id, ''), $2, 'probationary',"
                 f" contact, $3, $4 FROM {q}.development_view WHERE person_id = $1",
                 (event.person_id, event.org_id, event.vote_on, pos)),
            ]
        case ProbationExtended():
            return [_set(q, event.person_id, pos, probation_end=event.new_end)]
        case Converted():
            return [_set(q, event.person_id, pos, stage="full", stage_since=event.approved_on,
                         converted_on=event.approved_on),
                    (f"UPDATE {q}.members_view SET status = 'full', position = $2 WHERE member_id = $1",
                     (event.person_id, pos))]
        case ProbationCancelled():
            return [_set(q, event.person_id, pos, stage="cancelled", stage_since=event.approved_on),
                    (f"UPDATE {q}.members_view SET status = 'removed', position = $2 WHERE member_id = $1",
                     (event.person_id, pos))]
        case DevelopmentCaseCancelled():
            return [_set(q, event.person_id, pos, stage="cancelled", stage_since=event.cancelled_on)]
        case _:
            return []
