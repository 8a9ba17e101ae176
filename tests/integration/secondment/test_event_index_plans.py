"""Registering a unit asks whether a registered unit names it as its township: by its partial index
(services/secondment/handlers.py ``INDEXES``), never a scan of every unit registered, as the planner would take it
prepared by asyncpg (generic plan) or with the value written in."""

from __future__ import annotations

import asyncpg
import pytest

from services.kernel.settings import Settings
from services.kernel.store import schema_sql
from services.secondment.handlers import INDEXES, NAMED_AS_TOWNSHIP
from tests.conftest import fresh_database


@pytest.mark.parametrize("plan_cache_mode", ["force_generic_plan", "force_custom_plan"])
async def test_named_as_township_reads_its_index(settings: Settings, plan_cache_mode: str) -> None:
    conn = await asyncpg.connect(await fresh_database(settings, "secondment_event_index_plans"))
    try:
        await conn.execute(schema_sql())
        await conn.execute(INDEXES)
        await conn.execute(f"SET enable_seqscan = off; SET plan_cache_mode = {plan_cache_mode}")
        await conn.execute(f"PREPARE look_up (text) AS {NAMED_AS_TOWNSHIP}")
        plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN EXECUTE look_up('township-1')"))
        lines = plan.splitlines()
        at = [n for n, line in enumerate(lines) if "events_unit_township" in line]
        # Probed by its condition, not read whole (every unit registered).
        assert at and all("Index Cond" in lines[n + 1] for n in at) and "Seq Scan" not in plan, plan
    finally:
        await conn.close()
