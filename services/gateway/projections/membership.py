"""Branch and member read models, projected from gb.membership.events."""

from __future__ import annotations

from typing import Any

from services.kernel.events import Envelope, encode
from services.kernel.projection import Op
from services.membership.contract.events import (
    BranchEstablished,
    DeadlineRaised,
    MemberRegistered,
    OutflowRegistered,
)

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.branches_view (
    branch_id text PRIMARY KEY,
    name text NOT NULL,
    founding_basis text NOT NULL,
    build_mode text NOT NULL,
    home_org_id text NOT NULL,
    host_guidance_org text NOT NULL,
    destination text NOT NULL,
    industry text NOT NULL,
    established_on date NOT NULL,
    covered_units jsonb NOT NULL,
    position bigint NOT NULL
);
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
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS members_view_org ON {schema}.members_view (formal_org_id);
CREATE TABLE IF NOT EXISTS {schema}.due_items_view (
    subject_id text NOT NULL,
    subject_type text NOT NULL,
    org_id text NOT NULL,
    kind text NOT NULL,
    due_on date NOT NULL,
    raised_on date NOT NULL,
    overdue boolean NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (subject_id, kind, due_on)
);
CREATE INDEX IF NOT EXISTS due_items_view_org ON {schema}.due_items_view (org_id, due_on);
-- Counts are derived when read, never kept as counters: a member's events and their branch's
-- events sit on different partitions, so a counter would depend on the order they are applied.
CREATE OR REPLACE VIEW {schema}.branches_with_counts AS
SELECT b.*,
       coalesce(c.members, 0) AS members,
       coalesce(c.members_away, 0) AS members_away
  FROM {schema}.branches_view b
  LEFT JOIN (SELECT formal_org_id, count(*) AS members, count(*) FILTER (WHERE away) AS members_away
               FROM {schema}.members_view GROUP BY formal_org_id) c ON c.formal_org_id = b.branch_id;
"""


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case BranchEstablished():
            return [(
                f"INSERT INTO {q}.branches_view (branch_id, name, founding_basis, build_mode, home_org_id,"
                " host_guidance_org, destination, industry, established_on, covered_units, position)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10::jsonb,$11)",
                (event.branch_id, event.name, event.founding_basis.value, event.build_mode.value, event.home_org_id,
                 event.host_guidance_org, event.destination, event.industry, event.established_on,
                 encode(list(event.covered_units)).decode(), pos),
            )]
        case MemberRegistered():
            return [(
                f"INSERT INTO {q}.members_view (member_id, name, national_id, formal_org_id, status, dues_category,"
                " contact, joined_on, position) VALUES ($1,$2,$3,$4,$5,$6,$7::jsonb,$8,$9)",
                (event.member_id, event.name, event.national_id, event.formal_org_id, event.status.value,
                 event.dues_category.value, encode(event.contact).decode(), event.joined_on, pos),
            )]
        case OutflowRegistered():
            return [(
                f"UPDATE {q}.members_view SET away = true, outflow = $2::jsonb, position = $3 WHERE member_id = $1",
                (event.member_id, encode(event).decode(), pos),
            )]
        case DeadlineRaised():
            # Raised once when due and once more when overdue: the later raise wins.
            return [(
                f"INSERT INTO {q}.due_items_view (subject_id, subject_type, org_id, kind, due_on, raised_on, overdue,"
                " position) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (subject_id, kind, due_on) DO UPDATE"
                " SET overdue = EXCLUDED.overdue OR {q}.due_items_view.overdue, raised_on = EXCLUDED.raised_on,"
                " position = EXCLUDED.position".replace("{q}", q),
                (event.subject_id, event.subject_type, event.org_id, event.kind, event.due_on, event.raised_on,
                 event.overdue, pos),
            )]
        case _:
            return []  # events this read model does not need


PART = (DDL, apply)
