"""Hostile review of the partner-facing surface on the running system (2026-12-02): partner systems, their
subscriptions, credentials, delivery logs and the served schemas, attacked as a hostile partner, a careless county
and an outsider — and a fuzzing of every partner route as each of them with no 5xx and no dead letter."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from itertools import product
from typing import Any

import asyncpg
import httpx
import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode

from services.kernel.settings import Settings
from services.partners.contract.events import REGISTRY as PARTNER_EVENTS
from services.partners.contract.service import SERVICE as PARTNERS
from services.partners.contract.values import MAX_SUBSCRIPTIONS, REPLAYS_PER_WINDOW
from services.pure.identity import Role
from tests.e2e.conftest import assert_refused, bearer, eventually
from tests.e2e.test_partner_records import REGISTERED, partner_body, register
from tests.e2e.test_partner_webhooks import (  # noqa: F401 - the fixtures, for this module
    Hook,
    Sink,
    deliverer,
    hook,
    sink,
    until_delivered,
)

#: The partner-facing routes: partner records, subscriptions, partner health and the served schemas.
_OURS = ("/v1/partners", "/v1/partner-health", "/v1/subscriptions", "/v1/schemas")


LEAD = "goldenbridge.lead.registered.v1"


async def _partner(system: Settings, gateway: httpx.AsyncClient, admin: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A partner of this test, scoped to an organisation of no one (so nothing is routed to it), and its token."""
    pid = f"ph-{uuid.uuid4().hex[:6]}"
    await register(gateway, admin, pid, scope={"event_types": [REGISTERED], "organisations": [f"org-{pid}"]})
    return pid, bearer(system, Role.PARTNER, pid)


async def test_a_partner_cannot_widen_its_own_scope_policy_or_reach(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], partners_db: asyncpg.Pool,
) -> None:
    """Its record is the county's to change; its subscriptions stay within its scope and its own topic."""
    pid, me = await _partner(system, gateway, admin_headers)
    other, _ = await _partner(system, gateway, admin_headers)
    wider = {k: v for k, v in partner_body(pid, personal_data="masked", scope={"event_types": [REGISTERED, LEAD]})
             .items() if k not in ("partner_id", "kind")}
    assert (await gateway.put(f"/v1/partners/{pid}", json=wider, headers=me)).status_code == 403
    for path in (f"/v1/partners/{pid}/credential-rotation", f"/v1/partners/{pid}/reactivation",
                 f"/v1/partners/{other}/deactivation"):
        await assert_refused(gateway, partners_db, path, 403, headers=me, json={"reason": "协议到期"})
    for body, status, says in (
            ({"partner_id": pid, "protocol": "KAFKA", "types": [LEAD]}, 422, "outside the partner's scope"),
            ({"partner_id": pid, "protocol": "KAFKA", "sink": f"gb.partner.{other}.events"}, 422, "own topic"),
            ({"partner_id": other, "protocol": "KAFKA"}, 403, "reaches only the subscriptions of partner")):
        problem = await assert_refused(gateway, partners_db, "/v1/subscriptions", status, headers=me, json=body)
        assert says in problem["detail"], problem


async def test_kafka_passwords_and_webhook_secrets_are_never_stored_by_a_cache(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    """Before, both answers carried no Cache-Control: a proxy between the partner and the county, or the browser of
    the county's administrator, could keep the password and offer it again to whoever asked next."""
    pid, me = await _partner(system, gateway, admin_headers)
    webhook = await gateway.post("/v1/subscriptions", headers=me,
                                 json={"partner_id": pid, "protocol": "HTTP", "sink": "http://127.0.0.1:9/hook"})
    assert webhook.status_code == 201, webhook.text
    for path in (f"/v1/partners/{pid}/kafka-credentials", f"/v1/subscriptions/{webhook.json()['id']}/secret"):
        for caller in (me, admin_headers):
            answer = await gateway.get(path, headers=caller)
            assert answer.status_code == 200, answer.text
            assert answer.headers.get("cache-control") == "no-store", (path, dict(answer.headers))


async def test_a_subscription_heavy_enough_to_slow_the_router_for_every_partner_is_a_422(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], partners_db: asyncpg.Pool,
) -> None:
    """Before: 20,000 filter expressions or a type named 20,000 times were taken (201), and the router — one process
    for every partner — evaluated them for every event in the partner's scope."""
    pid, me = await _partner(system, gateway, admin_headers)
    leaves = [{"exact": {"subject": f"member/m-{n}"}} for n in range(20_000)]
    for body, says in (
            ({"partner_id": pid, "protocol": "KAFKA", "filters": [{"any": leaves}]}, "at most 100 filter expressions"),
            ({"partner_id": pid, "protocol": "KAFKA", "types": [REGISTERED] * 20_000}, "each outward type once")):
        problem = await assert_refused(gateway, partners_db, "/v1/subscriptions", 422, headers=me, json=body)
        assert says in problem["detail"] and "member/m-" not in problem["detail"]


async def test_a_partner_holds_at_most_twenty_subscriptions_however_many_it_asks_for_at_once(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], partners_db: asyncpg.Pool,
) -> None:
    """Before: any number (each an HTTP delivery loop POSTing where the partner says, each evaluated by the router for
    every event in scope). Asked for all at once, the slots still bound them: each new one claims one."""
    pid, me = await _partner(system, gateway, admin_headers)
    body = {"partner_id": pid, "protocol": "KAFKA"}
    answers = await asyncio.gather(*(gateway.post("/v1/subscriptions", headers=me, json=body)
                                     for _ in range(MAX_SUBSCRIPTIONS + 5)))
    statuses = Counter(a.status_code for a in answers)
    # Asked for at once, some may be told to try again (409 concurrency-conflict); none past the bound is made.
    assert set(statuses) == {201, 409} and statuses[201] <= MAX_SUBSCRIPTIONS, statuses
    while statuses[201] < MAX_SUBSCRIPTIONS:
        answer = await gateway.post("/v1/subscriptions", headers=me, json=body)
        assert answer.status_code == 201, answer.text
        statuses[201] += 1
    problem = await assert_refused(gateway, partners_db, "/v1/subscriptions", 409, headers=me, json=body)
    assert f"holds {MAX_SUBSCRIPTIONS} subscriptions" in problem["detail"], problem
    # A subscription deleted gives its slot back.
    gone = next(a for a in answers if a.status_code == 201).json()["id"]
    assert (await gateway.delete(f"/v1/subscriptions/{gone}", headers=me)).status_code in (200, 201, 204)
    assert (await gateway.post("/v1/subscriptions", headers=me, json=body)).status_code == 201
    await assert_refused(gateway, partners_db, "/v1/subscriptions", 409, headers=me, json=body)


async def test_a_replay_from_before_1970_delivers_again_from_the_first_event(
    sink: Sink, hook: Hook  # noqa: F811 (the fixtures imported above)
) -> None:
    """Before: taken (201), and then Kafka's client refused the negative time at every start of the delivery loop —
    the subscription shown active, nothing delivered any more, nothing in its log — until another replay."""
    await hook.register_member()
    first = (await until_delivered(sink, hook, 1, "the first event delivered"))[0]
    replay = await hook.gateway.post(f"{hook.path}/replay", headers=hook.admin,
                                     json={"from_time": "1969-12-31T23:00:00+00:00"})
    assert replay.status_code == 201, replay.text
    again = await until_delivered(sink, hook, 2, "the event delivered again after a replay from before 1970")
    assert again[1].webhook_id == first.webhook_id and again[1].position == first.position
    await hook.register_member()
    await until_delivered(sink, hook, 3, "delivery goes on after the replay")


async def test_a_replay_from_a_time_without_its_offset_or_a_position_out_of_range_is_a_clear_422(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], partners_db: asyncpg.Pool,
) -> None:
    pid, me = await _partner(system, gateway, admin_headers)
    webhook = await gateway.post("/v1/subscriptions", headers=me,
                                 json={"partner_id": pid, "protocol": "HTTP", "sink": "http://127.0.0.1:9/hook"})
    assert webhook.status_code == 201, webhook.text
    replay = f"/v1/subscriptions/{webhook.json()['id']}/replay"
    for body, says in (({"from_time": "2026-12-01T08:00:00"}, "from_time: give a time zone offset"),
                       ({"from_position": 2**70}, "from_position"), ({"from_position": -1}, "from_position"),
                       ({"from_position": 1, "from_time": "2026-12-01T08:00:00Z"}, "exactly one")):
        problem = await assert_refused(gateway, partners_db, replay, 422, headers=me, json=body)
        assert says in problem["detail"], problem


async def test_a_partner_asking_replay_after_replay_is_told_to_wait_and_the_county_is_not(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], partners_db: asyncpg.Pool,
) -> None:
    """Before: every replay was taken, each sending the subscription's whole history again through the deliverer
    every partner shares. Now a partner's seventh within a day is a 429 with ``Retry-After``, passed through the
    gateway, and nothing is recorded; the county may still replay it."""
    pid, me = await _partner(system, gateway, admin_headers)
    webhook = await gateway.post("/v1/subscriptions", headers=me,
                                 json={"partner_id": pid, "protocol": "HTTP", "sink": "http://127.0.0.1:9/hook"})
    assert webhook.status_code == 201, webhook.text
    replay = f"/v1/subscriptions/{webhook.json()['id']}/replay"
    for _ in range(REPLAYS_PER_WINDOW):
        answer = await gateway.post(replay, headers=me, json={"from_position": 0})
        assert answer.status_code == 201, answer.text
    before = await partners_db.fetchval("SELECT count(*) FROM events")
    refused = await gateway.post(replay, headers=me, json={"from_position": 0})
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert 23 * 3600 < int(refused.headers["retry-after"]) <= 24 * 3600, refused.headers
    assert f"replayed {REPLAYS_PER_WINDOW} times" in refused.json()["detail"], refused.json()
    assert await partners_db.fetchval("SELECT count(*) FROM events") == before, "a refused replay wrote events"
    assert (await gateway.post(replay, headers=admin_headers, json={"from_position": 0})).status_code == 201


def _fuzz(operation: Any, mode: GenerationMode, base: str, session: requests.Session, auth: dict[str, str],
          server_errors: list[str], sent: list[int]) -> None:
    """The secondment review's fuzzing (tests/e2e/test_secondment_investment_hostile.py), counting what it sends; an
    operation with nothing to make negative (no parameters, no body) is passed over in that mode."""
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(max_examples=15, derandomize=True, database=None, deadline=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=base, session=session, headers=dict(auth), timeout=30)
        sent.append(response.status_code)
        if response.status_code >= 500:
            server_errors.append(f"{operation.method.upper()} {operation.path} {response.status_code}: "
                                 f"{response.text[:200]} for {case.body!r:.300}")

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, operation.path


async def test_fuzzing_the_partner_routes_as_each_caller_gives_no_5xx_and_no_dead_letter(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], partners_db: asyncpg.Pool,
    read_db: asyncpg.Pool,
) -> None:
    """schemathesis on the partner routes only, as the county, a registered partner, a partner token naming no
    registered partner, a township committee and no one at all: no 5xx, and nothing it got accepted is refused by
    the projector."""
    pid = f"fz-{uuid.uuid4().hex[:6]}"
    await register(gateway, admin_headers, pid)
    base = f"http://127.0.0.1:{system.gateway_port}"
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operations = [op for op in (r.ok() for r in schema.get_all_operations()) if op.path.startswith(_OURS)]
    assert len(operations) >= 18, [op.path for op in operations]
    callers = [admin_headers, bearer(system, Role.PARTNER, pid), bearer(system, Role.PARTNER, "no-such-partner"),
               bearer(system, Role.TOWNSHIP_COMMITTEE, "township-fuzz"), {}]
    dead_before = len(await read_db.fetch("SELECT 1 FROM dead_letters WHERE topic = $1", PARTNERS.topic))
    errors: list[str] = []
    sent: list[int] = []
    with requests.Session() as session:
        for op, auth, mode in product(operations, callers, (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)):
            _fuzz(op, mode, base, session, auth, errors, sent)
    assert not errors, "\n".join(errors[:20])
    assert len(sent) > 1000, len(sent)
    print(f"fuzzed {len(operations)} operations: {len(sent)} requests, {sorted(Counter(sent).items())}")
    positions = [r["position"] for r in await partners_db.fetch("SELECT position FROM events")]

    async def all_applied() -> bool:
        applied = await read_db.fetchval("SELECT count(*) FROM applied_events WHERE source = $1"
                                         " AND position = ANY($2::bigint[])", PARTNER_EVENTS.source, positions)
        return bool(applied == len(positions))

    await eventually(all_applied, timeout=60, what="every partners event projected")
    dead = await read_db.fetch("SELECT topic, reason FROM dead_letters WHERE topic = $1", PARTNERS.topic)
    assert len(dead) == dead_before, [dict(r) for r in dead]
