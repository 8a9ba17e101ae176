"""Every read model — membership, secondment and investment — rebuilt from offset 0 equals the live one."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from bench import against_rebuild
from services import system as composition
from services.kernel.settings import Settings
from tests.e2e.conftest import eventually, rebuilt_schema
from tests.e2e.secondment_steps import lead_body, post, second_a_cadre, signed_lead


async def test_a_rebuild_from_offset_zero_equals_the_live_read_models(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], read_db: asyncpg.Pool,
) -> None:
    # Records of every kind in the secondment and investment read models, the policy's contributions included.
    cadre = await second_a_cadre(gateway, admin_headers)
    await post(gateway, f"/v1/secondments/{cadre.secondment_id}/check-ins",
               {"checked_in_on": "2024-05-01", "thinking": "steady", "work": "learning"}, admin_headers)
    lead = await signed_lead(gateway, admin_headers, lead_body(
        cadre.township_id, registrant_kind="cadre", registrant_id=cadre.cadre_id, registrant_name="Chen Gang"))
    for n, amount in ((1, "700000"), (2, "400000")):
        await post(gateway, f"/v1/leads/{lead}/funds",
                   {"amount": amount, "arrived_on": f"2024-08-0{n}", "reference": f"R-{n}"}, admin_headers)
    await post(gateway, f"/v1/leads/{lead}/landing",
               {"completed_on": "2024-09-01", "actual_fixed_investment": "20000000"}, admin_headers)
    await post(gateway, f"/v1/leads/{lead}/reward-claims", {"claimant_id": cadre.cadre_id, "claimed_on": "2024-10-01"},
               admin_headers)
    await post(gateway, "/v1/leads", lead_body(cadre.township_id, registrant_id="branch-y", branch_id="branch-y",
                                               investor="Other investor", project="Other project"), admin_headers)

    pools = {s: await asyncpg.create_pool(system.dsn(s), min_size=1, max_size=2) for s in composition.names()}
    try:
        async def stored_and_applied() -> dict[str, int] | None:
            """Each store's count of events once every one is in the live read models and the policy has
            reacted, else None."""
            counts = await against_rebuild.stored_and_applied(pools, read_db)
            policy_done = await pools["secondment"].fetchval(
                "SELECT count(*) = 3 FROM events WHERE stream_id = $1 AND type IN"
                " ('gb.secondment.contribution_recorded.v1', 'gb.secondment.commendation_proposed.v1')",
                cadre.secondment_id)
            return counts if policy_done else None

        # The suite's system is shared, and an earlier test's reaction (a policy, a sweep) may append while the
        # rebuild runs: the rebuild then ends at another position than the live views are read at. Such a round
        # proves nothing either way, so it is run again; the live views are read only when no event came between.
        for _ in range(3):
            before = await eventually(stored_and_applied, timeout=120,
                                      what="every stored event in the live read models")
            schema = rebuilt_schema(system)
            live = await against_rebuild.tables(read_db, "public")
            rebuilt = await against_rebuild.tables(read_db, schema)
            if await stored_and_applied() == before:
                break
            await read_db.execute(f'DROP SCHEMA "{schema}" CASCADE')
        else:
            pytest.fail(f"events kept coming during three rebuilds (stores before the last: {before})")
    finally:
        for pool in pools.values():
            await pool.close()

    assert {"secondments_view", "secondment_contributions", "leads_view", "reward_claims_view"} <= set(live)
    assert live["secondment_contributions"], "the policy's contributions are in the live read model"
    for table in live:
        assert live[table] == rebuilt[table], (
            f"{table} differs after a rebuild: {against_rebuild.difference(live[table], rebuilt[table])}")
    await read_db.execute(f'DROP SCHEMA "{schema}" CASCADE')
