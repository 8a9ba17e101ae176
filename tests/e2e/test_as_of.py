"""The county as it stood: what the API answered at a time T, asked again ``as_of=T`` after later facts and
corrections, is the same answer, byte for byte — and says which store positions it reflects."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from services.kernel.clock import today as county_today
from services.kernel.settings import Settings
from tests.e2e.conftest import branch_body, eventually, member_body, outflow_body
from tests.e2e.secondment_steps import lead_body, post, second_a_cadre, unique

#: A build replays every event of the test session so far: give it time on a loaded machine.
BUILD_SECONDS = 240


async def _as_of(gateway: httpx.AsyncClient, path: str, params: dict[str, Any], headers: dict[str, str],
                 as_of: datetime) -> httpx.Response:
    """GET ``path`` as of ``as_of``: while the read models as of then are rebuilt (202), follow the progress
    resource until it is ready, then ask again."""
    query = {**params, "as_of": as_of.isoformat()}

    async def taken() -> httpx.Response | None:
        # 429: other rebuilds (the fuzzer's, in a whole run) are waiting; ours is taken once they are done.
        answer = await gateway.get(path, params=query, headers=headers)
        return None if answer.status_code == 429 else answer

    first = await eventually(taken, timeout=BUILD_SECONDS, what=f"room for a rebuild as of {as_of}")
    assert first is not None
    if first.status_code != 202:
        return first
    assert first.headers["content-type"] == "application/json"
    progress = first.json()
    assert progress["state"] in ("queued", "building") and first.headers["location"] == progress["location"]

    async def ready() -> dict[str, Any] | None:
        polled = await gateway.get(first.headers["location"], headers=headers)
        assert polled.status_code == 200, polled.text
        body: dict[str, Any] = polled.json()
        assert body["state"] != "failed", body
        return body if body["state"] == "ready" else None

    done = await eventually(ready, timeout=BUILD_SECONDS, what=f"the read models as of {as_of} for {path}")
    assert done is not None
    assert done["percent"] == 100.0 and done["events_read"] == done["events_total"]
    assert done["events_applied"] <= done["events_read"]
    return await gateway.get(path, params=query, headers=headers)


async def test_as_of_t_answers_what_the_api_answered_at_t_after_later_facts_and_corrections(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], read_db: asyncpg.Pool,
) -> None:
    township = unique("township")
    branch = await post(gateway, "/v1/branches", branch_body(home_org_id=township, established_on="2026-03-01"),
                        admin_headers)
    member = await post(gateway, "/v1/members", member_body(branch["id"], name="Wang Fang"), admin_headers)
    cadre = await second_a_cadre(gateway, admin_headers, township_id=township, headcount=40,
                                 departed_on="2024-03-01")
    lead = await post(gateway, "/v1/leads", lead_body(township), admin_headers)
    membership_before = member["position"]

    reads: list[tuple[str, dict[str, Any]]] = [
        ("/v1/reports/targets", {"year": 2026, "township": township}),
        ("/v1/branches", {"home_org_id": township}),
        (f"/v1/branches/{branch['id']}", {}),
        ("/v1/members", {"formal_org_id": branch["id"]}),
        (f"/v1/members/{member['id']}", {}),
        ("/v1/reports/secondment-targets", {"on": "2024-06-01", "township": township}),
        ("/v1/secondments", {"township": township}),
        ("/v1/reports/lead-pipeline", {"township": township, "on": "2024-05-01"}),
    ]
    waits = {"/v1/secondments": cadre.position, "/v1/reports/secondment-targets": cadre.position,
             "/v1/reports/lead-pipeline": lead["position"]}

    async def answers(**extra: Any) -> dict[str, httpx.Response]:
        found = {}
        for path, params in reads:
            wait = waits.get(path, membership_before)
            response = await gateway.get(path, params={**params, "min_position": wait, **extra},
                                         headers=admin_headers)
            assert response.status_code == 200, f"{path}: {response.text}"
            found[path] = response
        return found

    at_t = await answers()
    # T: after every answer above, on the clock the stores stamp recorded_at with.
    t: datetime = await read_db.fetchval("SELECT clock_timestamp()")

    # Later: new facts and corrections of the same records.
    second = await post(gateway, "/v1/branches", branch_body(home_org_id=township, established_on="2026-04-01"),
                        admin_headers)
    other = await post(gateway, "/v1/members", member_body(branch["id"], name="Zhao Lei"), admin_headers)
    moved = await post(gateway, f"/v1/members/{member['id']}/outflows", outflow_body(), admin_headers)
    more = await second_a_cadre(gateway, admin_headers, township_id=township, headcount=0, departed_on="2024-05-01")
    progressed = await post(gateway, f"/v1/leads/{lead['id']}/progress",
                            {"to_stage": "contacted", "advanced_on": "2024-04-10"}, admin_headers)
    assert min(second["position"], other["position"], moved["position"]) > membership_before
    waits = {"/v1/secondments": more.position, "/v1/reports/secondment-targets": more.position,
             "/v1/reports/lead-pipeline": progressed["position"]}
    membership_before = moved["position"]
    now = await answers()
    assert all(now[path].content != at_t[path].content for path, _ in reads), "every read changed since T"

    for path, params in reads:
        then = await _as_of(gateway, path, params, admin_headers, t)
        assert then.status_code == 200, f"{path}: {then.status_code} {then.text}"
        assert then.content == at_t[path].content, f"{path} as of T differs from what it answered at T"
        assert datetime.fromisoformat(then.headers["gb-as-of"]) == t
        positions = dict(p.split("=") for p in then.headers["gb-log-positions"].split(", "))
        assert member["position"] <= int(positions["membership"]) < min(second["position"], other["position"])
        assert int(positions["secondment"]) >= cadre.position


async def test_as_of_refuses_what_it_cannot_answer(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], read_db: asyncpg.Pool,
) -> None:
    now: datetime = await read_db.fetchval("SELECT clock_timestamp()")

    async def refused(path: str, status: int, slug: str, **params: Any) -> None:
        response = await gateway.get(path, params=params, headers=admin_headers)
        assert response.status_code == status, f"{params}: {response.status_code} {response.text}"
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"].endswith(slug) and problem["detail"], problem
        if slug == "invalid-request":
            assert [e["field"] for e in problem["errors"]] == ["query.as_of"], problem

    await refused("/v1/members", 422, "as-of-in-the-future", as_of=(now + timedelta(hours=1)).isoformat())
    # Not of the documented pattern (a day, or a time with its offset): refused with the field named.
    await refused("/v1/members", 422, "invalid-request", as_of="yesterday")
    await refused("/v1/members", 422, "invalid-request", as_of="2026-06-30T18:00:00")
    await refused("/v1/members", 422, "as-of-invalid", as_of="2026-02-30T18:00:00Z")
    await refused("/v1/members", 422, "as-of-invalid", as_of="2026-06-30")  # a day: this list has no effective day
    await refused("/v1/members", 422, "as-of-invalid", as_of=now.isoformat(), min_position=1)
    await refused("/v1/as-of/0123456789abcdef0123", 404, "not-found")
    # On a report that counts dated facts, a day alone is the effective day, as before.
    report = await gateway.get("/v1/reports/targets", params={"year": 2026, "as_of": "2026-06-30"},
                               headers=admin_headers)
    assert report.status_code == 200 and report.json()["as_of"] == "2026-06-30", report.text


async def test_the_dues_ledger_on_a_day_counts_the_dues_paid_by_then(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    branch = await post(gateway, "/v1/branches", branch_body(home_org_id=unique("township")), admin_headers)
    member = await post(gateway, "/v1/members", member_body(branch["id"], name="Sun Li"), admin_headers)
    paid_on = county_today() - timedelta(days=1)
    month = f"{paid_on:%Y-%m}"
    await post(gateway, f"/v1/members/{member['id']}/dues/account", {
        "org_id": branch["id"], "category": "wage_earner", "base": "4000.00", "owed_from": month}, admin_headers)
    paid = await post(gateway, f"/v1/members/{member['id']}/dues/payments", {
        "months": [month], "amount": "40.00", "paid_on": str(paid_on),
        "backdating_reason": "the receipt reached the branch a day late"}, admin_headers)

    async def ledger(on: date | None) -> tuple[str, str]:
        params: dict[str, Any] = {"year": paid_on.year, "min_position": paid["position"]}
        if on is not None:
            params["on"] = str(on)
        answer = await gateway.get(f"/v1/organisations/{branch['id']}/dues/ledger", params=params,
                                   headers=admin_headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        (row,) = [m for m in body["months"] if m["month"] == month]
        return str(row["paid"]), str(body["payments"]["received"])

    assert await ledger(paid_on - timedelta(days=1)) == ("0", "0")
    assert await ledger(paid_on) == ("40.00", "40.00")
    assert await ledger(None) == ("40.00", "40.00")
