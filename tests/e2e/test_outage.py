"""PostgreSQL SIGKILLed under load: every error is a 503 problem+json with Retry-After, nothing accepted
is lost, and the system recovers once PostgreSQL is back."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import asyncpg
import httpx

from infra import postgres, supervisor
from infra.processes import app_processes
from services.kernel.settings import Settings
from tests.e2e.conftest import branch_body, eventually

CONCURRENCY = 8
#: Answers before the kill, answers while PostgreSQL is down, and the most seconds to wait for recovery.
LOAD_BEFORE, ANSWERS_WHILE_DOWN, RECOVERY = 150, 150, 60.0


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    retry_after: str | None
    record_id: str | None
    body: str


async def test_killing_postgresql_under_load_answers_503_problems_and_loses_nothing_accepted(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    run = uuid.uuid4().hex[:8]
    answers: list[Answer] = []
    stop = asyncio.Event()
    recovered_at: list[float] = []

    async def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            headers = {**admin_headers, "Idempotency-Key": f"outage-{run}-{n}-{i}"}
            response = await gateway.post("/v1/branches", json=branch_body(name=f"Branch {run} {n}-{i}"),
                                          headers=headers)
            answers.append(Answer(response.status_code, response.headers.get("content-type", ""),
                                  response.headers.get("retry-after"),
                                  response.json()["id"] if response.status_code == 201 else None,
                                  response.text[:300]))
            if response.status_code != 201:
                # Not a wait for a condition: a refused client backs off briefly before its next command, as a
                # real one would, rather than spin against the outage (the waits below use ``eventually``).
                await asyncio.sleep(0.05)

    async def answered(count: int) -> None:
        await eventually(lambda: asyncio.sleep(0, result=len(answers) >= count), timeout=RECOVERY,
                         what=f"{count} answers")

    async def chaos() -> None:
        await answered(LOAD_BEFORE)
        assert await asyncio.to_thread(postgres.kill, system), "PostgreSQL was not running under the test"
        await answered(len(answers) + ANSWERS_WHILE_DOWN)
        await asyncio.to_thread(postgres.start, system)
        restarted = len(answers)
        await eventually(lambda: asyncio.sleep(0, result=any(a.status == 201 for a in answers[restarted:])),
                         timeout=RECOVERY, what="a command accepted after the restart")
        recovered_at.append(time.monotonic())
        await answered(len(answers) + 2 * CONCURRENCY)  # keep the load on a little after recovery
        stop.set()

    try:
        await asyncio.gather(chaos(), *(client(n) for n in range(CONCURRENCY)))
    finally:
        stop.set()
        await asyncio.to_thread(postgres.start, system)  # no-op when it runs
        for process in app_processes(system):  # any process that gave up on PostgreSQL starts again
            await asyncio.to_thread(supervisor.start_app, process, system)

    accepted = [a.record_id for a in answers if a.status == 201 and a.record_id]
    refused = [a for a in answers if a.status != 201]
    assert refused, "PostgreSQL was killed but no command was refused"
    wrong = [a for a in refused if (a.status, a.content_type) != (503, "application/problem+json") or not a.retry_after]
    assert not wrong, f"{len(wrong)} of {len(refused)} error answers are not 503 problem+json with Retry-After: " \
                      f"{wrong[:5]}"
    assert recovered_at and any(a.status == 201 for a in answers[-CONCURRENCY * 2:]), "no 201 after the restart"

    # Nothing accepted is lost: every 201 is in the membership store (a fresh connection: the old ones died).
    conn = await asyncpg.connect(system.dsn("membership"), timeout=10)
    try:
        stored = {r["stream_id"] for r in await conn.fetch(
            "SELECT DISTINCT stream_id FROM events WHERE stream_id = ANY($1::text[])", accepted)}
    finally:
        await conn.close()
    assert set(accepted) <= stored, f"{len(set(accepted) - stored)} accepted branches are not in the store"

    # The system recovered: a new write is read back through the read models.
    async def registered() -> bool:
        answer = await gateway.post("/v1/branches", json=branch_body(), headers={
            **admin_headers, "Idempotency-Key": f"outage-after-{uuid.uuid4()}"})
        if answer.status_code != 201:
            return False
        read = await gateway.get(f"/v1/branches/{answer.json()['id']}", headers=admin_headers,
                                 params={"min_position": answer.json()["position"]})
        return read.status_code == 200

    await eventually(registered, timeout=RECOVERY, what="a registration read back after the restart")
    print(f"outage: {len(answers)} answers, {len(accepted)} accepted (all stored), {len(refused)} refused "
          f"(all 503 problem+json with Retry-After)")
