"""Investment read models: leads (one row each, duplicates included), instalments and reward claims.

Each row is written by one lead's events only (the projector applies partitions concurrently);
pipelines, credit by branch and by registrant, and stall flags are computed when read.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from services.investment.contract.events import (
    FundsArrived,
    LeadAdvanced,
    LeadDropped,
    LeadDuplicateRecorded,
    LeadLanded,
    LeadRegistered,
    RewardClaimed,
)
from services.kernel.events import Envelope
from services.kernel.projection import Op, update

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.leads_view (
    lead_id text PRIMARY KEY,
    stage text NOT NULL,
    registrant_kind text NOT NULL,
    registrant_id text NOT NULL,
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


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    pos = env.position or 0
    match event:
        case LeadRegistered():
            return [(
                f"INSERT INTO {q}.leads_view (lead_id, stage, registrant_kind, registrant_id,"
                " branch_id, township_id, investor, project, sector, kind, promised_amount, origin_locality,"
                " homecoming, registered_on, last_progress_on, position, registrant_name)"
                " VALUES ($1,'registered',$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$13,$14,$15)",
                (event.lead_id, event.registrant_kind.value, event.registrant_id, event.branch_id, event.township_id,
                 event.investor, event.project, event.sector, event.kind.value, event.promised_amount,
                 event.origin_locality, event.homecoming, event.registered_on, pos, event.registrant_name),
            )]
        case LeadDuplicateRecorded():
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
        case _:
            return []
