"""The cross-service path, timed: funds recorded on a cadre's lead → the contribution on the secondment.

One POST /v1/leads/{id}/funds at a time; after each, GET /v1/secondments/{id} every ~2 ms until the
new contribution is listed. The path crosses investment's store, its relay, Kafka, the funds-credit
policy, secondment's store, its relay, Kafka again and the projector.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from typing import Any

import httpx

from bench.common import latency_summary, say
from bench.system import _client
from services.kernel.settings import Settings


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    if response.status_code != 201:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.text}")
    answer: dict[str, Any] = response.json()
    return answer


async def _seconded_cadre_with_signed_lead(client: httpx.AsyncClient) -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    unit = f"unit-bench-{tag}"
    await _post(client, "/v1/units", {"unit_id": unit, "township_id": "township-bench", "name": "Bench station",
                                      "kind": "station", "headcount": 20, "effective_from": "2020-01-01"})
    cadre = (await _post(client, "/v1/cadres", {
        "name": "Bench Cadre", "unit_id": unit, "post": "clerk", "rank": "section member", "pay_grade": "24",
        "administrative_relation_org_id": unit, "party_relation_org_id": unit, "registered_on": "2020-01-01"}))["id"]
    placement = {"host_kind": "enterprise", "host_name": "Bench Ltd", "locality": "Shenzhen"}
    secondment = (await _post(client, "/v1/secondments", {"cadre_id": cadre, "route": "self_found",
                                                          "placement": placement, "nominated_on": "2024-01-02"}))["id"]
    await _post(client, f"/v1/secondments/{secondment}/nomination-decision",
                {"approved": True, "decided_on": "2024-01-03"})
    await _post(client, f"/v1/secondments/{secondment}/departure",
                {"departed_on": "2024-01-04", "placement": placement})
    lead = (await _post(client, "/v1/leads", {
        "registrant_kind": "cadre", "registrant_id": cadre, "registrant_name": "Bench Cadre",
        "branch_id": "branch-bench", "township_id": "township-bench", "investor": f"Investor {tag}",
        "project": f"Project {tag}", "sector": "bench", "kind": "capital", "promised_amount": "1",
        "origin_locality": "Shenzhen", "registered_on": "2024-01-05"}))["id"]
    await _post(client, f"/v1/leads/{lead}/progress", {"to_stage": "signed", "advanced_on": "2024-01-06"})
    return secondment, lead


async def credit_latency(settings: Settings, instalments: int) -> dict[str, Any]:
    visible: list[float] = []
    failures: Counter[str] = Counter()
    async with _client(settings) as client:
        secondment, lead = await _seconded_cadre_with_signed_lead(client)
        for n in range(1, instalments + 1):
            t0 = time.perf_counter()
            # Small amounts: 1,000 instalments stay below the commendation threshold.
            await _post(client, f"/v1/leads/{lead}/funds",
                        {"amount": "100", "arrived_on": "2024-02-01", "reference": f"bench-{n}"})
            while True:
                got = await client.get(f"/v1/secondments/{secondment}")
                if got.status_code == 200 and len(got.json()["contributions"]) >= n:
                    visible.append(time.perf_counter() - t0)
                    break
                if time.perf_counter() - t0 > 30:
                    failures["not visible within 30 s"] += 1
                    break
                await asyncio.sleep(0.002)
    summary = latency_summary(visible)
    say(f"funds → contribution on the secondment: p50 {summary.get('p50_ms')} ms, p99 {summary.get('p99_ms')} ms, "
        f"max {summary.get('max_ms')} ms over {len(visible)} instalments (failures {dict(failures)})")
    return {"instalments": instalments, "visible": summary, "failures": dict(failures)}
