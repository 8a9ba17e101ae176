"""Leads read model: investment leads (``leads_view``, one row each, duplicates included), their
instalments (``lead_instalments``) and reward claims (``reward_claims_view``).

Each row is written by one lead's events only (the projector applies partitions concurrently);
pipelines, credit by branch and by registrant, and stall flags are computed when read.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import asyncpg
import orjson

from services.gateway.readmodels.members import ERASED_NAME
from services.gateway.readmodels.policies import policy_in_force
from services.investment.contract.events import (
    FundsArrived,
    LeadAdvanced,
    LeadDropped,
    LeadDuplicateRecorded,
    LeadLanded,
    LeadRegistered,
    RewardClaimed,
)
from services.investment.contract.values import OPEN_STAGES
from services.kernel.events import Envelope
from services.kernel.projection import Op, update
from services.membership.contract.events.members import PersonalDataErased

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.leads_view (
    lead_id text PRIMARY KEY,
    stage text NOT NULL,
    registrant_kind text NOT NULL,
    registrant_id text NOT NULL,
    -- A member's name until they are erased, then the erased name (PersonalDataErased).
    registrant_name text,
    branch_id text NOT NULL,
    township_id text NOT NULL,
    investor text NOT NULL,
    project text NOT NULL,
    sector text,
    kind text,
    promised_amount numeric,
    origin_locality text,
    homecoming boolean NOT NULL DEFAULT false,
    registered_on date NOT NULL,
    last_progress_on date NOT NULL,
    earlier_lead_id text,
    arrived_total numeric NOT NULL DEFAULT 0,
    instalments int NOT NULL DEFAULT 0,
    completed_on date,
    actual_fixed_investment numeric,
    claim_until date,
    dropped_on date,
    drop_reason text,
    reward_amount numeric,
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS leads_view_township ON {schema}.leads_view (township_id, stage);
CREATE INDEX IF NOT EXISTS leads_view_branch ON {schema}.leads_view (branch_id);
CREATE INDEX IF NOT EXISTS leads_view_registrant ON {schema}.leads_view (registrant_id);
CREATE TABLE IF NOT EXISTS {schema}.lead_instalments (
    lead_id text NOT NULL,
    instalment int NOT NULL,
    amount numeric NOT NULL,
    arrived_on date NOT NULL,
    reference text NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (lead_id, instalment)
);
CREATE TABLE IF NOT EXISTS {schema}.reward_claims_view (
    lead_id text PRIMARY KEY,
    claimant_kind text NOT NULL,
    claimant_id text NOT NULL,
    claimed_on date NOT NULL,
    completed_on date NOT NULL,
    claim_until date NOT NULL,
    base numeric NOT NULL,
    lines jsonb NOT NULL,
    amount numeric NOT NULL,
    policy_version text NOT NULL,
    position bigint NOT NULL
);
"""

_LEAD = "leads_view"


#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (
    LeadRegistered, LeadDuplicateRecorded, LeadAdvanced, FundsArrived, LeadLanded, LeadDropped, RewardClaimed,
    PersonalDataErased,
)


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case LeadRegistered():
            return [(
                f"INSERT INTO {q}.leads_view (lead_id, stage, registrant_kind, registrant_id,"
                " branch_id, township_id, investor, project, sector, kind, promised_amount, origin_locality,"
                " homecoming, registered_on, last_progress_on, position, registrant_name)"
                " VALUES ($1,'registered',$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$13,$14,"
                # A member erased before the lead reached this read model (another topic) is named as erased.
                f" CASE WHEN $2 = 'member' AND EXISTS (SELECT 1 FROM {q}.members_view WHERE member_id = $3"
                f" AND erased_on IS NOT NULL) THEN '{ERASED_NAME}' ELSE $15 END)",
                (event.lead_id, event.registrant_kind.value, event.registrant_id, event.branch_id, event.township_id,
                 event.investor, event.project, event.sector, event.kind.value, event.promised_amount,
                 event.origin_locality, event.homecoming, event.registered_on, pos, event.registrant_name),
            )]
        case LeadDuplicateRecorded():
            # Kept as a row of its own so the registrant sees it, but credited to the earlier lead.
            return [(
                f"INSERT INTO {q}.leads_view (lead_id, stage, registrant_kind, registrant_id, branch_id, township_id,"
                " investor, project, registered_on, last_progress_on, earlier_lead_id, position)"
                " VALUES ($1,'duplicate',$2,$3,$4,$5,$6,$7,$8,$8,$9,$10)",
                (event.lead_id, event.registrant_kind.value, event.registrant_id, event.branch_id, event.township_id,
                 event.investor, event.project, event.registered_on, event.earlier_lead_id, pos),
            )]
        case LeadAdvanced():
            return [update(q, _LEAD, "lead_id", event.lead_id, pos, stage=event.to_stage.value,
                           last_progress_on=event.advanced_on)]
        case FundsArrived():
            return [
                update(q, _LEAD, "lead_id", event.lead_id, pos, stage="funds_arriving",
                       arrived_total=event.total_arrived, instalments=event.instalment,
                       last_progress_on=event.arrived_on),
                (f"INSERT INTO {q}.lead_instalments (lead_id, instalment, amount, arrived_on, reference, position)"
                 " VALUES ($1,$2,$3,$4,$5,$6)",
                 (event.lead_id, event.instalment, event.amount, event.arrived_on, event.reference, pos)),
            ]
        case LeadLanded():
            return [update(q, _LEAD, "lead_id", event.lead_id, pos, stage="landed", completed_on=event.completed_on,
                           actual_fixed_investment=event.actual_fixed_investment, claim_until=event.claim_until,
                           last_progress_on=event.completed_on)]
        case LeadDropped():
            return [update(q, _LEAD, "lead_id", event.lead_id, pos, stage="dropped", dropped_on=event.dropped_on,
                           drop_reason=event.reason, last_progress_on=event.dropped_on)]
        case RewardClaimed():
            lines = [{k: (str(v) if v is not None and k != "tier" else v) for k, v in dataclasses.asdict(line).items()}
                     for line in event.lines]
            return [
                update(q, _LEAD, "lead_id", event.lead_id, pos, reward_amount=event.amount),
                (f"INSERT INTO {q}.reward_claims_view (lead_id, claimant_kind, claimant_id, claimed_on, completed_on,"
                 " claim_until, base, lines, amount, policy_version, position)"
                 " VALUES ($1,$2,$3,$4,$5,$6,$7,$8::jsonb,$9,$10,$11)",
                 (event.lead_id, event.claimant_kind.value, event.claimant_id, event.claimed_on, event.completed_on,
                  event.claim_until, event.base, orjson.dumps(lines).decode(), event.amount, event.policy_version,
                  pos)),
            ]
        case PersonalDataErased():
            # A member who registered leads is erased from them too: the name is theirs (the lead, its investor
            # and its credit stand).
            return [(f"UPDATE {q}.leads_view SET registrant_name = $2 WHERE registrant_kind = 'member'"
                     " AND registrant_id = $1", (event.member_id, ERASED_NAME))]
        case _:
            return []


#: Leads with ``stalled``: open and without progress for the policy's period on the day judged ($1-$4) — the
#: homecoming fast lane's shorter period ($3) for a homecoming lead, the ordinary one ($2) for the others.
_LEADS = ("SELECT *, (stage = ANY($1::text[]) AND last_progress_on + (CASE WHEN homecoming THEN $3::int"
          " ELSE $2::int END) <= $4::date) AS stalled FROM leads_view")


async def _stall(pool: asyncpg.Pool, day: date) -> tuple[list[str], int, int, date]:
    """The stall rule's arguments: the investment policy in force on ``day``, with the county's published changes
    (as services.investment.domain.leads.due_items judges it)."""
    policy = await policy_in_force(pool, "investment", "investment", day)
    return ([s.value for s in OPEN_STAGES], int(policy.stall_days(False)), int(policy.stall_days(True)), day)


async def leads(pool: asyncpg.Pool, day: date, *, township: str | None, branch_id: str | None, stage: str | None,
                registrant_id: str | None, stalled: bool | None, after: str | None,
                limit: int, homecoming: bool | None = None) -> list[asyncpg.Record]:
    """Leads as judged on ``day``, ordered by id after the cursor, ``limit`` rows at most."""
    rows: list[asyncpg.Record] = await pool.fetch(
        f"SELECT * FROM ({_LEADS}) l WHERE ($5::text IS NULL OR township_id = $5) AND ($6::text IS NULL OR"
        " branch_id = $6) AND ($7::text IS NULL OR stage = $7) AND ($8::text IS NULL OR registrant_id = $8)"
        " AND ($9::boolean IS NULL OR stalled = $9) AND ($10::text IS NULL OR lead_id > $10)"
        " AND ($12::boolean IS NULL OR homecoming = $12) ORDER BY lead_id LIMIT $11",
        *await _stall(pool, day), township, branch_id, stage, registrant_id, stalled, after, limit, homecoming,
    )
    return rows


async def lead(pool: asyncpg.Pool, lead_id: str, day: date) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(f"SELECT * FROM ({_LEADS}) l WHERE lead_id = $5",
                                                     *await _stall(pool, day), lead_id)
    return row


async def registered_by(pool: asyncpg.Pool, day: date, township: str | None) -> list[asyncpg.Record]:
    """Every lead registered by ``day`` (every township or one), as judged that day."""
    rows: list[asyncpg.Record] = await pool.fetch(
        f"SELECT * FROM ({_LEADS}) l WHERE ($5::text IS NULL OR township_id = $5) AND registered_on <= $4",
        *await _stall(pool, day), township)
    return rows


async def instalments(pool: asyncpg.Pool, lead_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT instalment, amount, arrived_on, reference FROM lead_instalments WHERE lead_id = $1 ORDER BY instalment",
        lead_id)
    return rows


async def reward_claim(pool: asyncpg.Pool, lead_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow("SELECT * FROM reward_claims_view WHERE lead_id = $1", lead_id)
    return row


async def reward_claims(pool: asyncpg.Pool, *, township: str | None, claimant_id: str | None,
                        branch_id: str | None) -> list[asyncpg.Record]:
    """Claims with their lead's township, branch, investor and project, in the order they were claimed."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT c.*, l.township_id, l.branch_id, l.investor, l.project FROM reward_claims_view c JOIN leads_view l"
        " USING (lead_id) WHERE ($1::text IS NULL OR l.township_id = $1) AND ($2::text IS NULL OR c.claimant_id = $2)"
        " AND ($3::text IS NULL OR l.branch_id = $3) ORDER BY c.claimed_on, c.lead_id", township, claimant_id,
        branch_id)
    return rows


_CREDIT = ("count(*) AS leads, count(*) FILTER (WHERE stage = 'landed') AS landed, sum(arrived_total) AS arrived_yuan,"
           " coalesce(sum(actual_fixed_investment), 0) AS actual_fixed_investment_yuan")
_CREDITED = "WHERE stage <> 'duplicate' AND ($1::text IS NULL OR township_id = $1)"


async def credit_by_branch(pool: asyncpg.Pool, township: str | None) -> list[asyncpg.Record]:
    """Leads, landed projects and capital per branch; duplicates credit the first registrant, so not counted."""
    rows: list[asyncpg.Record] = await pool.fetch(
        f"SELECT branch_id, township_id, {_CREDIT} FROM leads_view {_CREDITED}"
        " GROUP BY branch_id, township_id ORDER BY township_id, branch_id", township)
    return rows


async def credit_by_registrant(pool: asyncpg.Pool, township: str | None) -> list[asyncpg.Record]:
    """The same per registrant (members, cadres, branches)."""
    rows: list[asyncpg.Record] = await pool.fetch(
        f"SELECT registrant_kind, registrant_id, max(registrant_name) AS registrant_name, {_CREDIT} FROM leads_view"
        f" {_CREDITED} GROUP BY registrant_kind, registrant_id ORDER BY registrant_kind, registrant_id", township)
    return rows


async def credit_in_period(pool: asyncpg.Pool, township: str | None, start: date, end: date) -> list[asyncpg.Record]:
    """Per branch: leads registered, projects landed, fixed investment and capital arrived between two days."""
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT township_id, branch_id,"
        " count(*) FILTER (WHERE registered_on BETWEEN $2 AND $3) AS leads_registered,"
        " count(*) FILTER (WHERE completed_on BETWEEN $2 AND $3) AS projects_landed,"
        " coalesce(sum(actual_fixed_investment) FILTER (WHERE completed_on BETWEEN $2 AND $3), 0)"
        "   AS actual_fixed_investment_yuan,"
        " coalesce(sum((SELECT sum(amount) FROM lead_instalments i WHERE i.lead_id = l.lead_id"
        "   AND i.arrived_on BETWEEN $2 AND $3)), 0) AS capital_arrived_yuan"
        " FROM leads_view l WHERE stage <> 'duplicate' AND ($1::text IS NULL OR township_id = $1)"
        " GROUP BY township_id, branch_id ORDER BY township_id, branch_id", township, start, end)
    return rows
