"""An as-of report over the whole history (bench part ``asof``; docs/as-of.md, bench/README.md).

After the rebuild part has topped the topics up to 100,000 events: ``GET /v1/reports/targets?as_of=<now>``
through the gateway — 202, poll the rebuild's ``Location`` until ``ready``, ask again — timed from the first
request to the 200; then the same rebuild in process with the hook ``services.gateway.replay.replay_as_of``.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import say
from bench.system import _client
from services.gateway.replay import replay_as_of
from services.kernel.settings import Settings


async def report_as_of(settings: Settings) -> dict[str, Any]:
    as_of = datetime.now(UTC).isoformat()
    headers = {"Authorization": f"Bearer {settings.admin_token}"}
    params = {"year": str(datetime.now(UTC).year), "as_of": as_of}
    polls = 0
    async with _client(settings) as client:
        t0 = time.perf_counter()
        answer = await client.get("/v1/reports/targets", params=params, headers=headers)
        first_status = answer.status_code
        while answer.status_code == 202:
            location = answer.headers["location"]
            while True:
                progress = await client.get(location, headers=headers)
                polls += 1
                if progress.json().get("state") != "building" and progress.json().get("state") != "queued":
                    break
                await asyncio.sleep(0.2)
            answer = await client.get("/v1/reports/targets", params=params, headers=headers)
        elapsed = time.perf_counter() - t0
        if answer.status_code != 200:
            raise RuntimeError(f"as-of report: {answer.status_code} {answer.text[:500]}")
        t1 = time.perf_counter()
        again = await client.get("/v1/reports/targets", params=params, headers=headers)
        cached = time.perf_counter() - t1
    positions = answer.headers.get("gb-log-positions", "")
    events = sum(int(p.split("=")[1]) for p in positions.split(", ") if "=" in p)
    say(f"as-of report over the history ({positions}): {elapsed:.1f} s from the first request to the answer "
        f"(first status {first_status}, {polls} polls); asked again: {cached * 1000:.0f} ms ({again.status_code})")
    return {"seconds": round(elapsed, 2), "first_status": first_status, "polls": polls, "positions": positions,
            "store_positions_total": events, "again_ms": round(cached * 1000, 1)}


async def measure(settings: Settings) -> dict[str, Any]:
    api = await report_as_of(settings)
    events, seconds = await replay_as_of(settings, datetime.now(UTC))
    say(f"as-of rebuild in process (replay_as_of): {events:,} events read in {seconds:.1f} s")
    return {"api": api, "in_process": {"events_read": events, "seconds": round(seconds, 2)}}


def note(result: dict[str, Any]) -> str:
    api, local = result["api"], result["in_process"]
    return (f"As of (bench/as_of.py): GET /v1/reports/targets?as_of=<now> over the whole history (positions "
            f"{api['positions']}) answered in {api['seconds']} s from the first request (202, {api['polls']} polls "
            f"of the rebuild's progress, then 200); asked again {api['again_ms']} ms. The same rebuild in process "
            f"(replay_as_of): {local['events_read']:,} events read from the topics in {local['seconds']} s.")
