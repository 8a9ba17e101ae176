"""``as_of``: how it is read, which events a replay keeps, what an answer states, and the 202 while it builds."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from services.gateway import as_of_queue, replay
from services.gateway.api import as_of
from services.gateway.api.access import Scope, operation
from services.gateway.api.as_of import AsOf, AsOfInvalid, answer_headers, parse_as_of
from services.gateway.api.deps import DatedReadPool, ReadPool
from services.gateway.api.positions import MinPosition
from services.gateway.app import create_app
from services.gateway.auth import CurrentActor, new_token
from services.gateway.throttle import FailedAuthentications
from services.gateway.token_registry import TokenRegistry
from services.kernel.events import Envelope
from services.kernel.http import install_problem_handlers
from services.kernel.settings import Settings
from services.pure.identity import Actor, Role

SHANGHAI = timezone(timedelta(hours=8))
T = datetime(2026, 6, 30, 10, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- reading as_of

@pytest.mark.parametrize(("raw", "expected"), [
    (None, AsOf()),
    ("", AsOf()),
    ("2026-06-30", AsOf(day=date(2026, 6, 30))),
    ("2026-06-30T10:00:00Z", AsOf(recorded=T)),
    ("2026-06-30t10:00:00z", AsOf(recorded=T)),
    ("2026-06-30T18:00:00+08:00", AsOf(recorded=T)),
    # An unencoded + arrives as a space.
    ("2026-06-30T18:00:00 08:00", AsOf(recorded=T)),
    ("2026-06-30 18:00+08:00", AsOf(recorded=T)),
    ("2026-06-30T10:00:00.123456Z", AsOf(recorded=T + timedelta(microseconds=123456))),
])
def test_as_of_is_a_day_or_a_recorded_time_with_its_offset(raw: str | None, expected: AsOf) -> None:
    assert parse_as_of(raw) == expected


@pytest.mark.parametrize("raw", [
    "yesterday", "2026-06-30T10:00:00", "2026-06-30T10:00Z+08:00", "2026-02-30T10:00:00Z", "2026-13-01",
    "0070-01-01", "1969-12-31T23:59:59Z", "2026-06-30T25:00:00Z", "1700000000",
])
def test_anything_else_is_refused_with_what_to_write(raw: str) -> None:
    with pytest.raises(AsOfInvalid) as refused:
        parse_as_of(raw)
    assert refused.value.status == 422
    assert raw in refused.value.detail or "between" in refused.value.detail


def test_the_same_instant_in_any_offset_is_one_build_and_a_new_definition_another() -> None:
    assert as_of_queue.build_id(T, "d1") == as_of_queue.build_id(T.astimezone(SHANGHAI), "d1")
    assert as_of_queue.build_id(T, "d1") != as_of_queue.build_id(T + timedelta(microseconds=1), "d1")
    assert as_of_queue.build_id(T, "d1") != as_of_queue.build_id(T, "d2")
    assert as_of_queue.schema_of(as_of_queue.build_id(T, "d1")).startswith("as_of_")


# --------------------------------------------------------------------------- what a replay keeps

def _event(source: str, position: int, recorded_at: datetime | None) -> Envelope:
    return Envelope(id=uuid.uuid4(), source=source, type="gb.x.v1", time=T, subject="s", stream_id="s",
                    stream_type="x", stream_version=1, actor="a", correlation_id="c", causation_id=None, data=b"{}",
                    prev_hash=None, hash=b"\0" * 32, position=position, recorded_at=recorded_at)


def test_a_replay_keeps_the_events_recorded_at_or_before_as_of_and_notes_their_last_positions() -> None:
    done = replay.Replayed(as_of=T)
    kept = [done.keep(e) for e in (
        _event("/golden-bridge/membership", 7, T - timedelta(seconds=1)),
        _event("/golden-bridge/membership", 8, T),
        _event("/golden-bridge/membership", 9, T + timedelta(microseconds=1)),
        _event("/golden-bridge/secondment", 3, T - timedelta(days=1)),
        _event("/golden-bridge/secondment", 2, T - timedelta(days=2)),  # another partition, read later
    )]
    assert kept == [True, True, False, True, True]
    assert done.positions == {"/golden-bridge/membership": 8, "/golden-bridge/secondment": 3}
    assert done.undated == 0


def test_events_from_before_the_recorded_time_header_are_kept_and_counted() -> None:
    done = replay.Replayed(as_of=T)
    assert done.keep(_event("/golden-bridge/membership", 1, None))
    assert done.undated == 1


def test_an_answer_states_its_time_and_each_services_last_position() -> None:
    build = {"id": "b1", "as_of": T, "positions": {"/golden-bridge/secondment": 40, "/golden-bridge/membership": 1234}}
    assert answer_headers(build) == {"GB-As-Of": "2026-06-30T10:00:00+00:00", "GB-As-Of-Build": "b1",
                                     "GB-Log-Positions": "membership=1234, secondment=40"}


@pytest.mark.parametrize(("state", "read", "total", "percent"), [
    ("queued", 0, None, None), ("building", 250, 1000, 25.0), ("ready", 1000, 1000, 100.0), ("ready", 0, 0, 100.0),
])
def test_progress_is_events_read_of_the_total(state: str, read: int, total: int | None, percent: float | None) -> None:
    row = {"id": "b", "as_of": T, "state": state, "events_total": total, "events_read": read, "events_applied": read,
           "positions": "{}", "seconds": None, "error": None}
    assert as_of_queue.describe(row)["percent"] == percent


# --------------------------------------------------------------------------- the dependency

SETTINGS = Settings()
ADMIN = {"Authorization": "Bearer " + new_token(SETTINGS, Actor(subject="c", role=Role.COUNTY_ADMIN)).token}
LIVE, THEN = object(), object()


class FakeLive:
    """The live read pool, as far as the dependency uses it: the database's clock."""

    async def fetchval(self, sql: str) -> datetime:
        assert "clock_timestamp" in sql
        return T + timedelta(hours=1)


class FakePools:
    async def get(self, schema: str, built_at: datetime) -> Any:
        assert schema.startswith("as_of_")
        return THEN


@pytest.fixture
async def client(monkeypatch: pytest.MonkeyPatch) -> Any:
    builds: dict[str, dict[str, Any]] = {}
    budgets: dict[str | None, bool] = {}

    async def request(pool: Any, moment: datetime, caller: str | None = None, *,
                      budgeted: bool = True) -> dict[str, Any]:
        budgets[caller] = budgeted
        build = as_of_queue.build_id(moment, "d")
        return builds.setdefault(build, {"id": build, "as_of": moment, "state": "queued", "events_total": None,
                                         "events_read": 0, "events_applied": 0, "positions": {}, "seconds": None,
                                         "error": None, "finished_at": None})

    monkeypatch.setattr(as_of_queue, "request", request)
    app = FastAPI()
    install_problem_handlers(app)
    as_of.install(app)
    app.state.settings = SETTINGS
    app.state.tokens = TokenRegistry(Any)  # type: ignore[arg-type]
    app.state.auth_failures = FailedAuthentications(limit=100, window=60)
    app.state.read_pool = FakeLive()
    app.state.as_of_pools = FakePools()
    app.state.builds = builds
    app.state.budgets = budgets
    router = APIRouter()

    @operation(router, "/things", roles=tuple(Role), scope=Scope.COUNTY, action="read things")
    async def things(actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None) -> dict[str, Any]:
        return {"then": pool is THEN}

    @operation(router, "/report", roles=tuple(Role), scope=Scope.COUNTY, action="read the report")
    async def report(actor: CurrentActor, pool: DatedReadPool, when: as_of.AsOfDep) -> dict[str, Any]:
        return {"then": pool is THEN, "day": when.day}

    app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        http.app = app
        yield http


async def test_without_as_of_the_live_read_models_answer(client: Any) -> None:
    answer = await client.get("/things", headers=ADMIN)
    assert answer.json() == {"then": False} and "gb-as-of" not in answer.headers


async def test_a_time_not_built_yet_answers_202_with_its_progress_then_the_answer_as_of_then(client: Any) -> None:
    pending = await client.get("/things", params={"as_of": "2026-06-30T18:00:00+08:00"}, headers=ADMIN)
    assert pending.status_code == 202, pending.text
    body = pending.json()
    assert body["state"] == "queued" and pending.headers["location"] == body["location"] == f"/v1/as-of/{body['id']}"
    assert pending.headers["retry-after"] == "1"
    build = client.app.state.builds[body["id"]]
    build.update(state="ready", events_total=10, events_read=10, events_applied=8, finished_at=T,
                 positions={"/golden-bridge/membership": 5})
    answer = await client.get("/things", params={"as_of": "2026-06-30T10:00:00Z"}, headers=ADMIN)
    assert answer.status_code == 200 and answer.json() == {"then": True}
    assert answer.headers["gb-log-positions"] == "membership=5"
    assert datetime.fromisoformat(answer.headers["gb-as-of"]) == T


@pytest.mark.parametrize(("params", "slug"), [
    ({"as_of": "2026-06-30T12:00:00Z"}, "as-of-in-the-future"),
    ({"as_of": "2026-06-30"}, "as-of-invalid"),
    ({"as_of": "2026-06-30T10:00:00Z", "min_position": "3"}, "as-of-invalid"),
])
async def test_what_as_of_cannot_answer_is_a_422_problem(client: Any, params: dict[str, str], slug: str) -> None:
    answer = await client.get("/things", params=params, headers=ADMIN)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith(slug), answer.json()


async def test_on_a_dated_report_a_day_alone_is_the_effective_day_as_before(client: Any) -> None:
    answer = await client.get("/report", params={"as_of": "2026-06-30"}, headers=ADMIN)
    assert answer.json() == {"then": False, "day": "2026-06-30"}


async def test_more_rebuilds_than_allowed_are_refused_with_429(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async def busy(pool: Any, moment: datetime, caller: str | None = None, *, budgeted: bool = True) -> Any:
        raise as_of_queue.TooManyBuilds(as_of_queue.MAX_PENDING)

    monkeypatch.setattr(as_of_queue, "request", busy)
    answer = await client.get("/things", params={"as_of": "2026-06-30T10:00:00Z"}, headers=ADMIN)
    assert answer.status_code == 429 and answer.headers["retry-after"] == "5"


async def test_a_caller_past_its_hourly_budget_is_told_when_it_may_ask_anew(
        client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async def spent(pool: Any, moment: datetime, caller: str | None = None, *, budgeted: bool = True) -> Any:
        raise as_of_queue.CallerOverBudget(61)

    monkeypatch.setattr(as_of_queue, "request", spent)
    answer = await client.get("/things", params={"as_of": "2026-06-30T10:00:00Z"}, headers=ADMIN)
    assert answer.status_code == 429 and answer.headers["retry-after"] == "61"
    assert answer.json()["type"].endswith("/as-of-busy") and "in 2 min" in answer.json()["detail"]


async def test_only_the_county_administrators_rebuild_without_a_budget(client: Any) -> None:
    member = {"Authorization": "Bearer " + new_token(SETTINGS, Actor(subject="m-1", role=Role.MEMBER)).token}
    for headers in (ADMIN, member):
        await client.get("/things", params={"as_of": "2026-06-30T10:00:00Z"}, headers=headers)
    assert client.app.state.budgets == {"county_admin:c": False, "member:m-1": True}


# --------------------------------------------------------------------------- every read takes as_of

#: The reads that do not read the read models, so have no as-of answer: health, tokens, the services' own
#: answers relayed (partners' credentials, secrets and deliveries; personal data; the audit trail, which
#: has its own as_of), the public schemas, and the progress of a rebuild itself.
NOT_AS_OF = {
    "/healthz", "/readyz", "/v1/tokens", "/v1/tokens/{token_id}", "/v1/as-of/{build_id}", "/v1/partner-health",
    "/v1/schemas", "/v1/schemas/{type_name}.json", "/v1/partners/{partner_id}/kafka-credentials",
    "/v1/subscriptions/{subscription_id}/secret", "/v1/subscriptions/{subscription_id}/deliveries",
    "/v1/members/{member_id}/personal-data",
}


def test_every_read_of_the_read_models_takes_as_of_and_documents_its_answers() -> None:
    openapi = create_app().openapi()
    reads = {path: ops["get"] for path, ops in openapi["paths"].items() if "get" in ops}
    reads = {path: op for path, op in reads.items() if not path.startswith("/v1/audit")}  # the stores' own as_of
    taking = {path for path, op in reads.items() if any(p["name"] == "as_of" for p in op.get("parameters", []))}
    without = set(reads) - taking
    assert without <= NOT_AS_OF, sorted(without - NOT_AS_OF)
    assert {"/v1/reports/targets", "/v1/members", "/v1/branches", "/v1/secondments", "/v1/leads",
            "/v1/reports/lead-pipeline", "/v1/development/funnel"} <= taking
    for path in taking:
        responses = reads[path]["responses"]
        assert {"202", "429"} <= set(responses), path
        assert "GB-Log-Positions" in responses["200"]["headers"], path
        assert sum(p["name"] == "as_of" for p in reads[path]["parameters"]) == 1, path
