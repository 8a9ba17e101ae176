"""Hostile review of the read side and time on the running system (2026-12-02): odd query strings on every read and
a fuzzing of every read as each role with no 5xx, due-item pages that lose no item, an erased member's name gone
from the leads they registered, as-of rebuilds that cannot fill the disk, and no caller holding more than one."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import hypothesis
import pytest
import requests
import schemathesis
from schemathesis import GenerationMode

from infra import supervisor
from services.gateway import as_of_queue
from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer, branch_body, eventually, member_body
from tests.e2e.secondment_steps import get, lead_body, post, unique
from tests.e2e.test_secondment_investment_hostile import _fuzz as fuzz

#: Reads with a path of their own, as the county asks them (the ids need not exist).
READS = [
    "/v1/branches", "/v1/members", "/v1/transfers", "/v1/development/cases", "/v1/development/funnel",
    "/v1/reports/targets", "/v1/reports/townships", "/v1/reports/destinations", "/v1/reports/year-end",
    "/v1/reports/secondment-targets", "/v1/reports/lead-pipeline", "/v1/reports/landed", "/v1/reports/performance",
    "/v1/secondments", "/v1/secondments/due-items", "/v1/leads", "/v1/reward-claims", "/v1/units", "/v1/cadres",
    "/v1/organisations/township-x/due-items", "/v1/organisations/township-x/meeting-compliance",
    "/v1/organisations/township-x/dues/ledger", "/v1/members/m-x", "/v1/service-cases", "/v1/migrant-workers",
]
#: Values a client may send in any parameter of a read.
ODD = ["-1", "0", "99999999999999999999999", "1e309", "NaN", "١٢٣", "１２３", "2026-02-30", "２０２６-０６-３０",
       "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "1970-01-01T00:00:00+23:59",
       "2026-06-30T18:00:00+24:00", "2026-06-30T24:00:00Z", "2026-06-30T18:00:60Z", "", " ", "%00", "\u202e",
       "true", "a" * 300]
PARAMS = ["limit", "cursor", "after", "as_of", "on", "year", "min_position", "township", "org_id", "format",
          "overdue", "stalled", "kind", "month"]


async def test_no_read_answers_5xx_to_an_odd_query_string(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    failures: list[str] = []
    for path in READS:
        for name in PARAMS:
            for value in ODD:
                # Repeated parameters too: the second value beside a good one.
                for query in ([(name, value)], [(name, "1"), (name, value)]):
                    answer = await gateway.get(path, params=query, headers=admin_headers)
                    if answer.status_code >= 500:
                        failures.append(f"GET {path}?{query} → {answer.status_code} {answer.text[:200]}")
    assert not failures, "\n".join(failures[:40])


async def test_the_due_items_pages_lose_no_item_due_on_the_same_day_as_the_last_of_a_page(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    branch = (await post(gateway, "/v1/branches", branch_body(), admin_headers))["id"]
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch)
    people = []
    for name in ("Sun Hua", "Zhou Min", "Wu Qiang"):
        people.append((await post(gateway, "/v1/development/cases", {
            "name": name, "birth_date": "2000-02-02", "contact": {"phone": "+86 137 0000 3333"},
            "org_id": branch, "route": "residence", "applied_on": "2026-09-01"}, secretary))["id"])
    run = subprocess.run([sys.executable, "-m", "services.membership.deadlines", "--on", "2026-11-20"],
                         env=supervisor.child_env(system), capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]

    async def all_three() -> list[dict[str, Any]]:
        items = (await get(gateway, f"/v1/organisations/{branch}/due-items", secretary))["items"]
        return list(items) if len(items) == 3 else []

    everything = await eventually(all_three, what="the three interviews in the branch's due items")
    assert {i["due_on"] for i in everything} == {"2026-10-01"}
    # One a page: before the fix the next page began after the last page's day, and lost the two others due then.
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 1}
    while True:
        page = await get(gateway, f"/v1/organisations/{branch}/due-items", secretary, **params)
        seen += [i["subject_id"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 1, "cursor": page["next_cursor"]}
        assert len(seen) <= 3, seen
    assert sorted(seen) == sorted(people)


async def test_an_erased_member_s_name_is_gone_from_the_leads_they_registered(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], read_db: asyncpg.Pool,
) -> None:
    township = unique("township")
    branch = (await post(gateway, "/v1/branches", branch_body(home_org_id=township), admin_headers))["id"]
    member = await post(gateway, "/v1/members", member_body(branch, name="Gao Ming"), admin_headers)
    await get(gateway, f"/v1/members/{member['id']}", admin_headers, min_position=member["position"])
    lead = await post(gateway, "/v1/leads", lead_body(
        township, registrant_kind="member", registrant_id=member["id"], registrant_name="Gao Ming",
        branch_id=branch), admin_headers)
    read = await get(gateway, f"/v1/leads/{lead['id']}", admin_headers, min_position=lead["position"])
    assert read["registrant_name"] == "Gao Ming"
    erased = await post(gateway, f"/v1/members/{member['id']}/erasure", {"reason": "the person's request"},
                        admin_headers)
    await get(gateway, f"/v1/members/{member['id']}", admin_headers, min_position=erased["position"])
    # Before the fix the lead list, the lead and the landed report kept the erased member's name.
    read = await get(gateway, f"/v1/leads/{lead['id']}", admin_headers)
    assert read["registrant_name"] != "Gao Ming"
    listed = await get(gateway, "/v1/leads", admin_headers, township=township)
    assert "Gao Ming" not in str(listed)
    assert not await read_db.fetchval("SELECT count(*) FROM leads_view WHERE registrant_name = 'Gao Ming'"
                                      " AND registrant_id = $1", member["id"])


@pytest.mark.parametrize("role", [Role.MEMBER, Role.BRANCH_SECRETARY, Role.HOST_ORGANISATION])
async def test_no_read_answers_5xx_to_an_odd_as_of_or_limit_from_a_role_outside_the_county(
    system: Settings, gateway: httpx.AsyncClient, role: Role,
) -> None:
    headers = bearer(system, role, None if role is Role.MEMBER else "township-x")
    failures: list[str] = []
    for path in READS:
        for value in ODD[:12]:
            answer = await gateway.get(path, params={"as_of": value, "limit": value}, headers=headers)
            if answer.status_code >= 500:
                failures.append(f"{path} {value} {answer.status_code}")
    assert not failures


async def test_as_of_rebuilds_asked_without_pause_keep_no_more_schemas_than_the_builder_keeps(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], read_db: asyncpg.Pool,
) -> None:
    """Four questions at new instants whenever one is answered keep the builder busy: before the fix it dropped
    old schemas only when idle, so every schema it built (a full copy of the read models each) stayed."""
    now: datetime = await read_db.fetchval("SELECT clock_timestamp()")
    instants = [now - timedelta(seconds=1, microseconds=n) for n in range(3 * as_of_queue.KEEP)]

    async def pending() -> int:
        return int(await read_db.fetchval("SELECT count(*) FROM as_of.builds WHERE state IN ('queued', 'building')"))

    async def schemas() -> int:
        return int(await read_db.fetchval(r"SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'as\_of\_%'"))

    async def room() -> bool:
        return await pending() < as_of_queue.MAX_PENDING

    most = 0
    for instant in instants:
        await eventually(room, what="room for another rebuild", every=0.01)
        # Each asked by another caller: one caller has one rebuild under way at a time.
        answer = await gateway.get("/v1/branches", params={"as_of": instant.isoformat(), "limit": 1},
                                   headers=bearer(system, Role.COUNTY_ADMIN))
        assert answer.status_code in (200, 202), answer.text
        most = max(most, await schemas())
    assert most <= as_of_queue.KEEP + 1, f"{most} as-of schemas at once; the builder keeps {as_of_queue.KEEP}"


async def test_min_position_beside_as_of_is_refused_however_often_it_is_given(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], read_db: asyncpg.Pool,
) -> None:
    now: datetime = await read_db.fetchval("SELECT clock_timestamp()")
    at = (now - timedelta(seconds=2)).isoformat()
    answer = await gateway.get("/v1/branches", params=[("as_of", at), ("min_position", "1")], headers=admin_headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["type"].endswith("/as-of-invalid") and "min_position" in answer.json()["detail"]
    # Held under attack: a repeated parameter, an empty value first, is refused before (a parameter is given once,
    # services/gateway/query_names.py).
    query = [("as_of", at), ("min_position", ""), ("min_position", "1")]
    answer = await gateway.get("/v1/branches", params=query, headers=admin_headers)
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["query.min_position"]
    assert answer.json()["errors"][0]["message"].startswith("give this query parameter once")


def test_fuzzing_every_read_as_each_role_gives_no_5xx(system: Settings) -> None:
    """schemathesis on every GET operation as the county, a township committee, a branch secretary, a host
    organisation and a member: odd numbers, days, as_of values, cursors and repeated parameters, and no 5xx."""
    base = f"http://127.0.0.1:{system.gateway_port}"
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    # Not the probes: a 503 is /readyz's answer whenever a dependency is not ready (tests/e2e/test_supervision.py).
    operations = [op for op in (r.ok() for r in schema.get_all_operations())
                  if op.method.upper() == "GET" and op.path not in ("/readyz", "/healthz")]
    assert len(operations) >= 40, [op.path for op in operations]
    tokens = [bearer(system, role, org) for role, org in (
        (Role.COUNTY_ADMIN, "county"), (Role.TOWNSHIP_COMMITTEE, "township-fuzz"),
        (Role.BRANCH_SECRETARY, "branch-fuzz"), (Role.HOST_ORGANISATION, "host-fuzz"), (Role.MEMBER, None))]
    server_errors: list[str] = []
    with requests.Session() as session:
        for operation in operations:
            for auth in tokens:
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    try:
                        fuzz(operation, mode, base, session, auth, server_errors)
                    except hypothesis.errors.Unsatisfiable:
                        pass  # no invalid request exists for this operation (no parameter to get wrong)
    assert not server_errors, "\n".join(server_errors[:20])


async def _builder_idle(read_db: asyncpg.Pool) -> None:
    """Until no rebuild waits or runs: what an earlier test queued would otherwise fill the slots these count on."""
    async def idle() -> bool:
        return not await read_db.fetchval("SELECT count(*) FROM as_of.builds WHERE state IN ('queued', 'building')")
    await eventually(idle, timeout=120, what="the as-of builder done with earlier tests' rebuilds", every=0.2)


async def test_one_caller_cannot_hold_more_than_one_as_of_rebuild_at_a_time(
    system: Settings, gateway: httpx.AsyncClient, read_db: asyncpg.Pool,
) -> None:
    """A member's token asking at a new instant each time kept every rebuild slot (and the builder) to itself:
    the county's own questions got 429 and the live projection slowed under full-log replays."""
    await _builder_idle(read_db)
    member = unique("member")
    headers = bearer(system, Role.MEMBER, subject=member)
    now: datetime = await read_db.fetchval("SELECT clock_timestamp()")
    # The member's first rebuild, under way (written here: a real one may finish before the second question).
    first = unique("b")[:20]
    await read_db.execute("INSERT INTO as_of.builds (id, as_of, fingerprint, state, asked_by)"
                          " VALUES ($1, $2, 'another definition', 'building', $3)",
                          first, now - timedelta(minutes=5), f"member:{member}")
    try:
        at = (now - timedelta(seconds=3)).isoformat()
        answer = await gateway.get("/v1/branches", params={"as_of": at}, headers=headers)
        assert answer.status_code == 429, answer.text
        assert answer.json()["type"].endswith("/as-of-busy") and first in answer.json()["detail"]
        # Another caller is not held up by it.
        other = await gateway.get("/v1/branches", params={"as_of": at}, headers=bearer(system, Role.MEMBER))
        assert other.status_code in (200, 202), other.text
    finally:
        await read_db.execute("DELETE FROM as_of.builds WHERE id = $1", first)


async def test_one_caller_starts_at_most_six_as_of_rebuilds_an_hour(
    system: Settings, gateway: httpx.AsyncClient, read_db: asyncpg.Pool,
) -> None:
    """One at a time was not enough: a token asking at a new instant as soon as its last build was ready kept the
    builder, and the PostgreSQL the live projection shares, busy for as long as it liked."""
    await _builder_idle(read_db)
    member = unique("member")
    caller = f"member:{member}"
    headers = bearer(system, Role.MEMBER, subject=member)
    now: datetime = await read_db.fetchval("SELECT clock_timestamp()")
    # Six builds this member started in the last hour (all done since), the oldest 50 minutes ago.
    await read_db.executemany("INSERT INTO as_of.started (caller, at) VALUES ($1, $2)",
                              [(caller, now - timedelta(minutes=50 - i))
                               for i in range(as_of_queue.NEW_BUILDS_PER_WINDOW)])
    try:
        at = (now - timedelta(seconds=7)).isoformat()
        answer = await gateway.get("/v1/branches", params={"as_of": at}, headers=headers)
        assert answer.status_code == 429, answer.text
        assert answer.json()["type"].endswith("/as-of-busy") and "in 10 min" in answer.json()["detail"]
        assert 540 < int(answer.headers["retry-after"]) <= 600
        # Nothing was queued for it; another caller, and the county, are not held up by it.
        assert not await read_db.fetchval("SELECT count(*) FROM as_of.builds WHERE asked_by = $1", caller)
        for other in (bearer(system, Role.MEMBER), bearer(system, Role.COUNTY_ADMIN)):
            other_answer = await gateway.get("/v1/branches", params={"as_of": at}, headers=other)
            assert other_answer.status_code in (200, 202), other_answer.text
        # An hour on, the oldest has left the window: the member may start one more.
        await read_db.execute("UPDATE as_of.started SET at = at - interval '11 minutes' WHERE caller = $1", caller)
        later = await gateway.get("/v1/branches", params={"as_of": (now - timedelta(seconds=8)).isoformat()},
                                  headers=headers)
        assert later.status_code in (200, 202), later.text
    finally:
        await read_db.execute("DELETE FROM as_of.started WHERE caller = $1", caller)
