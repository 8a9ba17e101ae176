"""SIGKILL the funds-credit policy while funds arrive; every instalment becomes exactly one contribution.

Then replay the whole investment topic through the policy process under a fresh consumer group: it
finds every instalment already credited and writes nothing.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import uuid
from decimal import Decimal

import asyncpg
import httpx

from infra import supervisor
from infra.processes import get_process
from services.kernel import logs
from services.kernel.settings import Settings
from tests.e2e.conftest import eventually
from tests.e2e.secondment_steps import funds_credit_caught_up, lead_body, post, second_a_cadre, signed_lead

LEADS = 10
INSTALMENTS = 4
AMOUNT = Decimal(10_000)
CONTRIBUTIONS = (
    "SELECT data::jsonb ->> 'contribution_id' AS id, (data::jsonb ->> 'amount_yuan')::numeric AS amount"
    " FROM events WHERE stream_id = $1 AND type = 'gb.secondment.contribution_recorded.v1'"
)


async def test_killing_the_policy_mid_flow_records_each_contribution_once(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], secondment_db: asyncpg.Pool,
) -> None:
    cadre = await second_a_cadre(gateway, admin_headers)
    leads = [await signed_lead(gateway, admin_headers, lead_body(
        cadre.township_id, registrant_kind="cadre", registrant_id=cadre.cadre_id, registrant_name="Chen Gang"))
        for _ in range(LEADS)]
    instalments = [(lead, n) for n in range(1, INSTALMENTS + 1) for lead in leads]
    sent = 0

    async def client(share: list[tuple[str, int]]) -> None:
        nonlocal sent
        for lead, n in share:
            await post(gateway, f"/v1/leads/{lead}/funds",
                       {"amount": str(AMOUNT), "arrived_on": f"2024-07-{n:02d}", "reference": f"V-{lead[:8]}-{n}"},
                       {**admin_headers, "Idempotency-Key": f"funds-{lead}-{n}"})
            sent += 1

    async def chaos() -> None:
        await eventually(lambda: asyncio.sleep(0, result=sent >= 10), what="the first instalments accepted")
        supervisor.kill_app(system, "funds-credit")  # SIGKILL: no goodbye, no offset commit
        await eventually(lambda: asyncio.sleep(0, result=sent >= 25), what="more instalments accepted")
        supervisor.start_app(get_process("funds-credit", system), system)

    # Instalments of one lead go in order (instalment n needs n − 1 before it); leads run in parallel.
    await asyncio.gather(chaos(), *(client([(lead, n) for lead2, n in instalments if lead2 == lead]) for lead in leads))

    async def all_credited() -> list[asyncpg.Record] | None:
        rows = await secondment_db.fetch(CONTRIBUTIONS, cadre.secondment_id)
        return rows if len(rows) >= LEADS * INSTALMENTS else None

    await eventually(all_credited, timeout=90, what="every instalment credited to the secondment")
    # Anything redelivered after the restart is handled once the policy has committed past the last event.
    await funds_credit_caught_up(system)
    rows = await secondment_db.fetch(CONTRIBUTIONS, cadre.secondment_id)
    expected = {f"funds:{lead}:{n}" for lead, n in instalments}
    assert sorted(r["id"] for r in rows) == sorted(expected), "a contribution was lost or recorded twice"
    assert sum(r["amount"] for r in rows) == AMOUNT * LEADS * INSTALMENTS
    # The capital passed no threshold here (400,000 < 1,000,000 yuan): no commendation.
    assert not await secondment_db.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'gb.secondment.commendation_proposed.v1'",
        cadre.secondment_id)

    # Replaying the whole investment topic through the policy changes nothing either.
    before = await secondment_db.fetchval("SELECT count(*) FROM events")
    outcomes = _replay_investment_topic(system)
    assert outcomes.get("credited", 0) == 0
    assert outcomes.get("replayed", 0) >= LEADS * INSTALMENTS
    assert await secondment_db.fetchval("SELECT count(*) FROM events") == before


def _replay_investment_topic(settings: Settings) -> dict[str, int]:
    """Run the policy process over the whole topic under a fresh group until it has caught up; its counts."""
    group = f"gb-test-replay-{uuid.uuid4().hex[:6]}"
    run = subprocess.run(
        [sys.executable, "-m", "services.secondment.funds_credit", "--group", group, "--from-beginning",
         "--until-caught-up"],
        env=supervisor.child_env(settings), capture_output=True, text=True, timeout=300,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"the replay failed:\n{output[-4000:]}"
    # The process logs JSON lines (services/kernel/logs.py): the counts are in a line's message.
    messages = "\n".join(str((logs.parse(line) or {}).get("message", line)) for line in output.splitlines())
    counts = re.search(rf"caught up \(group {group}\): (\{{.*\}})", messages)
    assert counts, f"the replay did not report its counts:\n{output[-4000:]}"
    return {str(k): int(v) for k, v in json.loads(counts.group(1)).items()}
