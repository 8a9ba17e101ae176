"""Request bodies and short step sequences for secondment and investment e2e tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from services.kernel.kafka import admin_client, event_consumer, topic_partitions
from services.kernel.settings import Settings
from services.kernel.topics import event_topic
from services.secondment.contract.service import FUNDS_CREDIT_GROUP
from tests.e2e.conftest import eventually


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def post(gateway: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    response = await gateway.post(path, json=body, headers=headers)
    assert response.status_code == 201, f"{path}: {response.status_code} {response.text}"
    answer: dict[str, Any] = response.json()
    return answer


@dataclass(frozen=True)
class Seconded:
    township_id: str
    unit_id: str
    cadre_id: str
    secondment_id: str
    position: int


def cadre_body(unit_id: str, **overrides: Any) -> dict[str, Any]:
    body = {"name": "Chen Gang", "unit_id": unit_id, "post": "deputy head, agricultural station",
            "rank": "section member", "pay_grade": "grade 24", "administrative_relation_org_id": unit_id,
            "party_relation_org_id": "station-branch", "registered_on": "2020-03-01"}
    body.update(overrides)
    return body


def placement(**overrides: Any) -> dict[str, Any]:
    body = {"host_kind": "enterprise", "host_name": "Pengcheng Electronics Ltd", "locality": "Shenzhen, Guangdong"}
    body.update(overrides)
    return body


async def get(gateway: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await gateway.get(path, params={k: str(v) for k, v in params.items() if v is not None},
                                 headers=headers)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
    answer: dict[str, Any] = response.json()
    return answer


async def second_a_cadre(gateway: httpx.AsyncClient, headers: dict[str, str], *, departed_on: str = "2024-03-01",
                         headcount: int = 20, township_id: str | None = None,
                         branch_id: str | None = None) -> Seconded:
    """A new township unit and cadre, nominated, approved by the county and departed on ``departed_on`` — placed
    at outstation branch ``branch_id`` if given."""
    township = township_id or unique("township")
    unit_id = unique("unit")
    await post(gateway, "/v1/units", {"unit_id": unit_id, "township_id": township, "name": "Agricultural station",
                                      "kind": "station", "headcount": headcount, "effective_from": "2020-01-01"},
               headers)
    cadre_id = (await post(gateway, "/v1/cadres", cadre_body(unit_id), headers))["id"]
    where = placement(outstation_branch_id=branch_id) if branch_id else placement()
    secondment_id = (await post(gateway, "/v1/secondments", {
        "cadre_id": cadre_id, "route": "self_found", "placement": where, "nominated_on": "2024-01-15"},
        headers))["id"]
    await post(gateway, f"/v1/secondments/{secondment_id}/nomination-decision",
               {"approved": True, "decided_on": "2024-02-01"}, headers)
    started = await post(gateway, f"/v1/secondments/{secondment_id}/departure",
                         {"departed_on": departed_on, "placement": where}, headers)
    return Seconded(township, unit_id, cadre_id, secondment_id, started["position"])


def lead_body(township_id: str, **overrides: Any) -> dict[str, Any]:
    body = {"registrant_kind": "branch", "registrant_id": "branch-x", "registrant_name": "Shenzhen branch",
            "branch_id": "branch-x", "township_id": township_id, "investor": unique("Investor"),
            "project": unique("Project"), "sector": "electronics", "kind": "capital",
            "promised_amount": "3000000", "origin_locality": "Shenzhen, Guangdong", "registered_on": "2024-04-01"}
    body.update(overrides)
    return body


async def signed_lead(gateway: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    """Register a lead and move it to signed."""
    lead_id: str = (await post(gateway, "/v1/leads", body, headers))["id"]
    for stage, day in (("contacted", "2024-04-10"), ("negotiating", "2024-05-10"), ("signed", "2024-06-01")):
        await post(gateway, f"/v1/leads/{lead_id}/progress", {"to_stage": stage, "advanced_on": day}, headers)
    return lead_id


async def funds_credit_caught_up(settings: Settings) -> None:
    """Wait until the live policy's group has committed every investment event on the topic now."""
    consumer = event_consumer(settings, "gb-test-funds-credit-ends")
    admin = admin_client(settings, "gb-test-funds-credit-ends")
    await consumer.start()
    await admin.start()
    try:
        partitions = await topic_partitions(consumer, event_topic("investment"))
        ends = await consumer.end_offsets(partitions)

        async def committed_to_the_end() -> bool:
            committed = await admin.list_consumer_group_offsets(FUNDS_CREDIT_GROUP, partitions=partitions)
            return all(end == 0 or (tp in committed and committed[tp].offset >= end) for tp, end in ends.items())

        await eventually(committed_to_the_end, timeout=60,
                         what=f"{FUNDS_CREDIT_GROUP} committed past the last investment event")
    finally:
        await admin.close()
        await consumer.stop()
