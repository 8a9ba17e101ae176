"""First referral wins, also when registrations of one investor's project race each other."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from services.kernel.settings import Settings
from tests.e2e.secondment_steps import lead_body, post, unique

RACERS = 6


async def test_racing_registrations_of_one_project_give_one_first_lead_and_duplicates_of_it(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], investment_db: asyncpg.Pool,
) -> None:
    township, investor, project = unique("township"), unique("Investor"), unique("Project")
    bodies = [lead_body(township, registrant_id=f"branch-{i}", branch_id=f"branch-{i}",
                        investor=investor if i % 2 else f"  {investor.upper()} ",  # spelt differently, same investor
                        project=project) for i in range(RACERS)]
    answers = await asyncio.gather(*(post(gateway, "/v1/leads", body, admin_headers) for body in bodies))
    ids = {a["id"] for a in answers}
    rows = await investment_db.fetch(
        "SELECT stream_id, type, data::jsonb ->> 'earlier_lead_id' AS earlier FROM events"
        " WHERE stream_id = ANY($1::text[]) AND version = 1", list(ids))
    first = [r["stream_id"] for r in rows if r["type"] == "gb.investment.lead_registered.v1"]
    duplicates = [r for r in rows if r["type"] == "gb.investment.lead_duplicate_recorded.v1"]
    assert len(first) == 1, "exactly one registration is the first referral"
    assert len(duplicates) == RACERS - 1
    assert {r["earlier"] for r in duplicates} == set(first), "every later registration is credited to the first"
