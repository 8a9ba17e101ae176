"""One correlation id from the client to the logs and the stored event (issue 15, item 4): the answer returns it
in X-Correlation-Id, the gateway's and the service's JSON log lines carry it, and the event stores it; a client's
id that is not a UUID is replaced, never written anywhere."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import httpx

from infra import supervisor
from services.kernel import logs
from services.kernel.settings import Settings
from tests.e2e.conftest import branch_body, eventually


def _lines_with(path: Path, correlation: str) -> list[dict[str, object]]:
    """The JSON log lines of ``path`` that carry ``correlation``."""
    entries = (logs.parse(line) for line in path.read_text(errors="replace").splitlines())
    return [e for e in entries if e is not None and e.get("correlation_id") == correlation]


async def test_a_commands_correlation_id_is_returned_logged_by_the_gateway_and_the_service_and_stored(
    system: Settings,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    membership_db: asyncpg.Pool,
) -> None:
    correlation = str(uuid.uuid4())
    response = await gateway.post(
        "/v1/branches", json=branch_body(), headers={**admin_headers, "X-Correlation-Id": correlation}
    )
    assert response.status_code == 201, response.text
    assert response.headers["x-correlation-id"] == correlation
    stored = await membership_db.fetchval(
        "SELECT correlation_id FROM events WHERE stream_id = $1", response.json()["id"]
    )
    assert stored == correlation
    for process in ("gateway", "membership"):
        path = supervisor.log_file(system, process)
        lines = await eventually(
            lambda p=path: asyncio.sleep(0, result=_lines_with(p, correlation)),
            what=f"{process}'s log line of the request",
        )
        assert any("POST" in str(line["message"]) for line in lines), lines


async def test_a_query_gets_a_correlation_id_and_a_malformed_one_is_replaced(
    system: Settings,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    made = (await gateway.get("/v1/branches", params={"limit": 1}, headers=admin_headers)).headers["x-correlation-id"]
    assert logs.well_formed(made)
    phone_like = "13812345678"
    replaced = await gateway.get(
        "/v1/branches", params={"limit": 1}, headers={**admin_headers, "X-Correlation-Id": phone_like}
    )
    assert replaced.status_code == 200
    assert logs.well_formed(replaced.headers["x-correlation-id"]) and replaced.headers["x-correlation-id"] != made
    assert phone_like not in supervisor.log_file(system, "gateway").read_text(errors="replace")
