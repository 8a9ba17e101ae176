"""Members read model (``members_view``): one row per member, kept current by the events of every family
that changes a member — registration, standing, mobility, transfers and admission from development.

It holds only what its readers may see: the national ID number masked (region and check digit) and the
phone's last four digits — the events carry nothing more outside their sealed envelopes, which stay
out of the view. The numbers in clear are read from membership itself (/v1/members/{id}/personal-data).
An erased person keeps their row (their membership history stands) with nothing personal left in it.

Every statement here is written by one person's events only (one stream, one partition), so rows
never depend on the order in which the projector applies partitions.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from services.kernel.events import Envelope, encode
from services.kernel.projection import Op, update
from services.membership.contract.events import MemberRegistered, OutflowRegistered
from services.membership.contract.events.development import Converted, ProbationaryAdmitted, ProbationCancelled
from services.membership.contract.events.members import (
    MemberDied,
    MembershipRemoved,
    MembershipRestored,
    MembershipSuspended,
    PersonalDataErased,
)
from services.membership.contract.events.mobility import (
    CertificateInspected,
    CertificateIssued,
    InflowRegistered,
    MemberReturned,
    ReportedToHost,
)
from services.membership.contract.events.transfers import TransferReceived

#: What an erased person's name becomes in the views.
ERASED_NAME = "（已删除）"

# certificate, host_org_id and erased_on come last: the column order is the JSON key order of `SELECT *`.
# national_id holds the masked number only; contact and outflow.contact the masked phone only.
DDL = """
CREATE TABLE IF NOT EXISTS {schema}.members_view (
    member_id text PRIMARY KEY,
    name text NOT NULL,
    national_id text NOT NULL,
    formal_org_id text NOT NULL,
    status text NOT NULL,
    dues_category text,
    contact jsonb NOT NULL,
    joined_on date,
    away boolean NOT NULL DEFAULT false,
    outflow jsonb,
    position bigint NOT NULL,
    certificate jsonb,
    host_org_id text,
    erased_on date
);
-- One branch's roster in member order, and its counts (branches_with_counts) from the index alone:
-- measured at 1 M members by bench/growth.py (bench/results/growth-plans.md).
CREATE INDEX IF NOT EXISTS members_view_org_member ON {schema}.members_view (formal_org_id, member_id) INCLUDE (away);
-- The people erased, a few among many: every as-of answer from a kept copy is checked against them
-- (services/gateway/as_of_queue.py, lacks_an_erasure), which without it read the whole view.
CREATE INDEX IF NOT EXISTS members_view_erased ON {schema}.members_view (member_id) WHERE erased_on IS NOT NULL;
"""


def _member(q: str, member_id: str, pos: int, **columns: Any) -> Op:
    return update(q, "members_view", "member_id", member_id, pos, **columns)


def _json(value: Any) -> str | None:
    return None if value is None else encode(value).decode()


#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (
    MemberRegistered, InflowRegistered, ProbationaryAdmitted, Converted, ProbationCancelled, OutflowRegistered,
    MembershipSuspended, MembershipRestored, MembershipRemoved, MemberDied, CertificateIssued,
    CertificateInspected, MemberReturned, TransferReceived, PersonalDataErased, ReportedToHost,
)


def _outflow(event: OutflowRegistered) -> str:
    """The outflow as the view keeps it: the masked contact, never the sealed envelope."""
    return encode({
        "member_id": event.member_id, "destination": event.destination, "employer": event.employer,
        "contact": event.contact_masked, "left_on": event.left_on, "expected_months": event.expected_months,
        "fixed_place": event.fixed_place, "instrument_advised": event.instrument_advised,
        "policy_version": event.policy_version,
    }).decode()


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case MemberRegistered():
            return [(
                f"INSERT INTO {q}.members_view (member_id, name, national_id, formal_org_id, status, dues_category,"
                " contact, joined_on, position) VALUES ($1,$2,$3,$4,$5,$6,$7::jsonb,$8,$9)",
                (event.member_id, event.name, event.national_id_masked, event.formal_org_id, event.status.value,
                 event.dues_category.value, encode(event.contact_masked).decode(), event.joined_on, pos),
            )]
        case InflowRegistered():
            return [(
                f"INSERT INTO {q}.members_view (member_id, name, national_id, formal_org_id, status, dues_category,"
                " contact, host_org_id, position) VALUES ($1,$2,$3,$4,$5,$6,$7::jsonb,$8,$9)",
                (event.member_id, event.name, event.national_id_masked, event.home_org.org_id, event.status.value,
                 event.dues_category.value, _json(event.contact_masked), event.host_org_id, pos),
            )]
        case ProbationaryAdmitted():
            # The applicant becomes a probationary member of the admitting branch. Their development case
            # is the same stream (same partition), so its row is already there to copy name and the masked
            # number and contact from.
            return [(
                f"INSERT INTO {q}.members_view (member_id, name, national_id, formal_org_id, status, contact,"
                " joined_on, position) SELECT person_id, name, coalesce(national_id, ''), $2, 'probationary',"
                f" contact, $3, $4 FROM {q}.development_view WHERE person_id = $1",
                (event.person_id, event.org_id, event.vote_on, pos),
            )]
        case Converted():
            return [(f"UPDATE {q}.members_view SET status = 'full', position = $2 WHERE member_id = $1",
                     (event.person_id, pos))]
        case ProbationCancelled():
            return [(f"UPDATE {q}.members_view SET status = 'removed', position = $2 WHERE member_id = $1",
                     (event.person_id, pos))]
        case OutflowRegistered():
            return [(
                f"UPDATE {q}.members_view SET away = true, outflow = $2::jsonb, position = $3 WHERE member_id = $1",
                (event.member_id, _outflow(event), pos),
            )]
        case MembershipSuspended():
            return [_member(q, event.member_id, pos, status="suspended")]
        case MembershipRestored():
            return [_member(q, event.member_id, pos, status=event.status.value)]
        case MembershipRemoved():
            return [_member(q, event.member_id, pos, status="removed")]
        case MemberDied():
            return [_member(q, event.member_id, pos, status="deceased")]
        case CertificateIssued():
            return [_member(q, event.member_id, pos, certificate=_json(event))]
        case CertificateInspected():
            return [_member(q, event.member_id, pos, certificate=None)]
        case MemberReturned():
            return [_member(q, event.member_id, pos, away=False)]
        case ReportedToHost():
            # The host organisation a member away reported to reaches their record (services/pure/scope.py).
            return [_member(q, event.member_id, pos, host_org_id=event.host_org_id)]
        case TransferReceived():
            return [_member(q, event.member_id, pos, formal_org_id=event.to_org_id)]
        case PersonalDataErased():
            # Nothing personal stays: not the name, nor even the masked number and phone.
            return [(
                f"UPDATE {q}.members_view SET name = $2, national_id = '', contact = '{{}}'::jsonb,"
                " outflow = outflow - 'contact' - 'employer', erased_on = $3, position = $4 WHERE member_id = $1",
                (event.member_id, ERASED_NAME, event.erased_on, pos),
            )]
        case _:
            return []


async def member(pool: asyncpg.Pool, member_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow("SELECT * FROM members_view WHERE member_id = $1", member_id)
    return row


async def members(pool: asyncpg.Pool, *, after: str | None, org_ids: list[str] | None, away: bool | None,
                  destination: str | None, limit: int) -> list[asyncpg.Record]:
    """Members of ``org_ids`` (None: all) ordered by id after the cursor; ``limit`` rows at most (ask one
    more to know if a page follows)."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT * FROM members_view WHERE ($1::text IS NULL OR member_id > $1)"
        " AND ($2::text[] IS NULL OR formal_org_id = ANY($2)) AND ($3::bool IS NULL OR away = $3)"
        " AND ($4::text IS NULL OR outflow->>'destination' = $4) ORDER BY member_id LIMIT $5",
        after, org_ids, away, destination, limit,
    )
    return rows


async def members_away(pool: asyncpg.Pool, home_org_id: str | None) -> list[asyncpg.Record]:
    """(member_id, destination) of each probationary or full member away, by their branch's home organisation."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT m.member_id, m.outflow->>'destination' AS destination FROM members_view m"
        " LEFT JOIN branches_view b ON b.branch_id = m.formal_org_id"
        " WHERE m.away AND m.status IN ('probationary', 'full') AND ($1::text IS NULL OR b.home_org_id = $1)",
        home_org_id,
    )
    return rows
