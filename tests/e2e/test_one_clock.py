"""One clock, shown on a running system put at a chosen instant (issue 12, item 6).

Commands, the deadline engine and the queries must agree on the county's day (Asia/Shanghai). The
processes here run with GB_CLOCK_AT (services/kernel/clock.py), so the instant is chosen, not whatever the
real time is: once at 00:30 in the county when UTC still says the day before (16:30 UTC, the hours in which
the three clocks used to disagree), once at 23:30 in the county (15:30 UTC), the instant the issue names.

Why a second system: the clock is a process's setting, and the session's system (tests/e2e/conftest.py)
must keep the real one for every other test. A second membership service, relay, projector and gateway
on the session's Kafka and PostgreSQL would share its databases, topics and consumer groups (the engine
here would raise items on the other tests' records, the projectors would split the partitions), so the
second system has its own PostgreSQL and Kafka too, on the session's ports + 7 and a data folder beside
the session's. Its engine runs every second (it raises each item once, so that is harmless).

The day chosen lies ahead of the real day (so a command dated it can only be accepted by the shifted
clock) and on a 15th (so the day a year before exists).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra import local, secrets, supervisor
from infra.processes import app_processes
from services import system
from services.kernel.clock import county_day
from services.kernel.settings import Settings
from services.pure.dates import add_months
from tests.e2e.conftest import branch_body, eventually, member_body, outflow_body

#: The processes that take part: a command's service, its relay, the projector and the gateway.
PROCESSES = ("membership", "membership-relay", "projector", "gateway")
#: The second system's ports are the session's plus this: a test slot's own ports end in 0-6 (gateway, PostgreSQL,
#: Kafka and the six services 18101-18106), so +7 meets none of them — with +5 its membership service took the
#: session's workers port and its gateway reached the wrong service.
PORT_OFFSET = 7
#: Its PostgreSQL listens next to the session's Kafka (19097 for slot 0), below the ephemeral port range.
PG_BESIDE_KAFKA = 5
#: The mobility policy's home_report_interval_months: a member away reports home a year after leaving.
HOME_REPORT_MONTHS = 12


def _ahead() -> date:
    """A county day some 30-75 days after the real one, on the 15th."""
    return add_months(county_day(datetime.now(UTC)).replace(day=15), 2)


@dataclass(frozen=True)
class Instant:
    name: str
    at: datetime
    #: The county's day at ``at``.
    day: date


def _instants() -> list[Instant]:
    ahead = _ahead()
    return [
        # 00:30 on the county's day; UTC's date is still the day before.
        Instant("0030-in-the-county", datetime.combine(ahead - timedelta(days=1), time(16, 30), UTC), ahead),
        # 23:30 on the county's day (the instant); UTC's date is the same day.
        Instant("2330-in-the-county", datetime.combine(ahead + timedelta(days=1), time(15, 30), UTC),
                ahead + timedelta(days=1)),
    ]


INSTANTS = _instants()


def _folder(settings: Settings) -> Path:
    """The second system's data folder, beside the session's (never wiped by `./gb test`)."""
    return settings.data_dir.with_name(f"{settings.data_dir.name}-one-clock")


def _second_system(settings: Settings) -> Settings:
    """The session's settings moved to their own data folder and ports, with their own secrets."""
    s = dataclasses.replace(
        settings,
        data_dir=_folder(settings),
        # Not the session's PostgreSQL port + 7: 55440 lies in Linux's ephemeral range (32768-60999), where by then
        # one of the session's thousands of client connections may hold it ("address already in use").
        pg_port=settings.kafka_port + PG_BESIDE_KAFKA, kafka_port=settings.kafka_port + PORT_OFFSET,
        kafka_controller_port=settings.kafka_controller_port + PORT_OFFSET,
        gateway_port=settings.gateway_port + PORT_OFFSET,
        service_ports={name: settings.service_port(name, port) + PORT_OFFSET
                       for name, port in system.default_ports().items()},
        service_urls={}, kafka_username="", kafka_password="", pg_password="", deadline_interval_seconds=1.0,
    )
    return secrets.local_settings(s)


@pytest.fixture(scope="module")
def second_system(settings: Settings) -> Iterator[Settings]:
    """PostgreSQL and Kafka of the second system (what an interrupted run left behind is stopped first)."""
    if _folder(settings).exists():
        local.down(_second_system(settings))
        shutil.rmtree(_folder(settings))
    s = _second_system(settings)
    try:
        local.infra_up(s)
        yield s
    finally:
        local.down(s)


@pytest.fixture(scope="module", params=INSTANTS, ids=lambda i: i.name)
def at(request: pytest.FixtureRequest, second_system: Settings) -> Iterator[tuple[Settings, Instant]]:
    """The second system's processes, started with GB_CLOCK_AT at one instant, stopped after its tests."""
    instant: Instant = request.param
    s = dataclasses.replace(second_system, clock_at=instant.at.isoformat())
    assert s.clock_instant is not None and county_day(s.clock_instant) == instant.day
    started = []
    try:
        for process in app_processes(s):
            if process.name in PROCESSES:
                supervisor.start_app(process, s)
                started.append(process.name)
        yield s, instant
    finally:
        for name in reversed(started):
            supervisor.stop_app(s, name)


@pytest.fixture
async def county(at: tuple[Settings, Instant]) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], Instant]]:
    s, instant = at
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{s.gateway_port}", timeout=30.0) as client:
        yield client, {"Authorization": f"Bearer {s.admin_token}"}, instant


async def _created(gateway: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
    response = await gateway.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _member_away(gateway: httpx.AsyncClient, headers: dict[str, str], left_on: date) -> tuple[str, str]:
    branch = await _created(gateway, "/v1/branches", branch_body(), headers)
    member = await _created(gateway, "/v1/members", member_body(branch), headers)
    await _created(gateway, f"/v1/members/{member}/outflows", outflow_body(left_on=left_on.isoformat()), headers)
    return branch, member


async def test_the_deadline_engine_raises_the_items_of_the_countys_day(
    county: tuple[httpx.AsyncClient, dict[str, str], Instant],
) -> None:
    """A member who left a year before the county's day owes the home report that day: the engine raises it
    then, not a day late (UTC's date) — raised_on is the county's day."""
    gateway, headers, instant = county
    branch, member = await _member_away(gateway, headers, add_months(instant.day, -HOME_REPORT_MONTHS))

    async def raised() -> list[dict[str, Any]]:
        r = await gateway.get(f"/v1/organisations/{branch}/due-items", params={"kind": "home_report_due"},
                              headers=headers)
        assert r.status_code == 200, r.text
        return [i for i in r.json()["items"] if i["subject_id"] == member]

    items = await eventually(raised, timeout=60, what=f"the engine raising {member}'s home report")
    assert [(i["due_on"], i["raised_on"], i["overdue"]) for i in items] == \
        [(instant.day.isoformat(), instant.day.isoformat(), False)]


async def test_a_query_judges_today_by_the_countys_day(
    county: tuple[httpx.AsyncClient, dict[str, str], Instant],
) -> None:
    gateway, headers, instant = county
    for path, key in (("/v1/reports/lead-pipeline", "as_of"), ("/v1/secondments/due-items", "on")):
        r = await gateway.get(path, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()[key] == instant.day.isoformat(), path


async def test_a_command_dated_the_countys_day_is_accepted_and_the_next_day_is_in_the_future(
    county: tuple[httpx.AsyncClient, dict[str, str], Instant],
) -> None:
    gateway, headers, instant = county
    _, member = await _member_away(gateway, headers, add_months(instant.day, -HOME_REPORT_MONTHS))
    today = await gateway.post(f"/v1/members/{member}/contacts", headers=headers,
                               json={"contacted_on": instant.day.isoformat(), "channel": "phone"})
    assert today.status_code == 201, today.text
    tomorrow = instant.day + timedelta(days=1)
    refused = await gateway.post(f"/v1/members/{member}/contacts", headers=headers,
                                 json={"contacted_on": tomorrow.isoformat(), "channel": "phone"})
    assert refused.status_code == 422, refused.text
    assert f"today is {instant.day}" in refused.json()["detail"]
