"""The gateway's reads decide by the policy the county published, on the real system (issue 13: policy as data).

The check-in due list and roster, the 5 % report and the stalled-lead flags are read by the gateway from its read
models; each takes the policy in force on the day it judges, with the changes the county published (the read
model ``policy_changes``), not the code's numbers.

How the days are chosen. A change takes effect only after the day it is published (the county's today), and no
fact can be dated after today, so the reads judge days after today. The secondment change is published for a day
far ahead, unique to this run: the session's store is shared by every e2e test, and no other test reads a day that
late. The stall of a lead counts from its last step, which is today at the latest, so the lead change must start
tomorrow; every other test judges leads on today or earlier, which it does not touch.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx

from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer
from tests.e2e.secondment_steps import get, lead_body, post, second_a_cadre, unique

#: A day far ahead, unique to this run (see the module's docstring).
EFFECTIVE = date(2080, 1, 1) + timedelta(days=random.randrange(3650))
EVE = EFFECTIVE - timedelta(days=1)


async def publish(gateway: httpx.AsyncClient, service: str, effective_from: date, changes: dict[str, Any],
                  headers: dict[str, str]) -> dict[str, Any]:
    return await post(gateway, f"/v1/policies/{service}", {
        "policy": service, "effective_from": str(effective_from), "changes": changes,
        "reason": f"county notice {uuid.uuid4().hex[:8]}"}, headers)


async def test_a_published_check_in_interval_and_target_change_the_reads_from_their_effective_day_on(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    seconded = await second_a_cadre(gateway, admin_headers, departed_on="2024-03-01", headcount=20)
    sending = bearer(system, Role.TOWNSHIP_COMMITTEE, seconded.township_id)

    async def check_in_due(on: date, position: int) -> str:
        due = await get(gateway, "/v1/secondments/due-items", sending, on=on, min_position=position)
        [item] = [i for i in due["items"] if i["kind"] == "check_in_due"]
        roster = await get(gateway, "/v1/secondments", sending, on=on)
        assert roster["items"][0]["next_check_in_due"] == item["due_on"]
        return str(item["due_on"])

    async def required(on: date) -> int:
        report = await get(gateway, "/v1/reports/secondment-targets", sending, on=on)
        [row] = report["townships"]
        return int(row["required"])

    # The code's policy: every 3 months after the departure; 5 % of 20 staff is 1.
    assert await check_in_due(EFFECTIVE, seconded.position) == "2024-06-01"
    assert await required(EFFECTIVE) == 1

    published = await publish(gateway, "secondment", EFFECTIVE,
                              {"check_in_interval_months": 1, "township_target_percent": "10"}, admin_headers)
    # The day before the change, the old numbers; from its day on, the new ones.
    assert await check_in_due(EVE, published["position"]) == "2024-06-01"
    assert await check_in_due(EFFECTIVE, published["position"]) == "2024-04-01"
    assert await check_in_due(EFFECTIVE + timedelta(days=400), published["position"]) == "2024-04-01"
    assert (await required(EVE), await required(EFFECTIVE)) == (1, 2)
    report = await get(gateway, "/v1/reports/secondment-targets", sending, on=EFFECTIVE)
    assert "+secondment." in report["policy_version"]  # the code version with the published change applied
    assert "× 10 / 100" in report["rounding"]
    # Today's reads are untouched: the change is in the future.
    assert await check_in_due(county_today(), published["position"]) == "2024-06-01"


async def test_a_published_stall_period_changes_which_leads_are_stalled_from_its_day_on_homecoming_first(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], investment_db: asyncpg.Pool,
) -> None:
    today = county_today()
    tomorrow = today + timedelta(days=1)
    township = unique("township")
    homecoming = (await post(gateway, "/v1/leads", lead_body(township, registered_on=str(today), homecoming=True,
                                                             promised_amount="2000000"), admin_headers))["id"]
    ordinary = await post(gateway, "/v1/leads", lead_body(township, registered_on=str(today)), admin_headers)

    async def stalled(on: date, position: int, **filters: Any) -> set[str]:
        leads = await get(gateway, "/v1/leads", admin_headers, township=township, on=on, stalled="true",
                          min_position=position, **filters)
        return {lead["lead_id"] for lead in leads["items"]}

    # The code's policy: a homecoming lead stalls after 15 days without progress, an ordinary one after 30.
    assert await stalled(today + timedelta(days=15), ordinary["position"]) == {homecoming}
    assert await stalled(today + timedelta(days=30), ordinary["position"]) == {homecoming, ordinary["id"]}

    # The fast lane cannot be made slower than the ordinary lane (422, nothing written).
    slower = await assert_refused(gateway, investment_db, "/v1/policies/investment", 422, headers=admin_headers,
                                  json={"policy": "investment", "effective_from": str(tomorrow),
                                        "changes": {"homecoming_stalled_after_days": 31}, "reason": "x"})
    assert "fast lane" in slower["detail"]

    # From tomorrow the county follows homecoming leads up after one day.
    published = await publish(gateway, "investment", tomorrow, {"homecoming_stalled_after_days": 1}, admin_headers)
    assert await stalled(today, published["position"]) == set()
    assert await stalled(tomorrow, published["position"]) == {homecoming}
    assert await stalled(tomorrow, published["position"], homecoming="false") == set()

    # The pipeline shows the lane on its own, with the periods in force that day.
    pipeline = await get(gateway, "/v1/reports/lead-pipeline", admin_headers, township=township, on=tomorrow)
    assert (pipeline["stalled_after_days"], pipeline["homecoming_stalled_after_days"]) == (30, 1)
    [row] = pipeline["townships"]
    lane = row["homecoming_lane"]
    assert (row["homecoming"], row["stalled"], lane["stalled"], lane["by_stage"]["registered"]) == (1, 1, 1, 1)
    assert Decimal(lane["promised_yuan"]) == 2_000_000 and Decimal(row["promised_yuan"]) == 5_000_000
    before = await get(gateway, "/v1/reports/lead-pipeline", admin_headers, township=township, on=today)
    assert (before["homecoming_stalled_after_days"], before["townships"][0]["homecoming_lane"]["stalled"]) == (15, 0)
