"""The first membership slice end to end: gateway → membership store → Kafka → read models."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

import asyncpg
import httpx
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event

from services.kernel.kafka import event_consumer, topic_partitions
from services.kernel.settings import Settings
from services.kernel.topics import event_topic
from services.pure.identity import Role
from tests.e2e.conftest import bearer, branch_body, eventually, member_body, national_id, outflow_body

log = logging.getLogger(__name__)


async def _establish(gateway: httpx.AsyncClient, headers: dict[str, str], **overrides: object) -> dict[str, object]:
    response = await gateway.post("/v1/branches", json=branch_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _find_on_kafka(settings: Settings, key: bytes) -> list[object]:
    """Read the whole topic with a fresh, independent consumer and return records with this key."""
    consumer = event_consumer(settings, f"test-{uuid.uuid4().hex[:6]}")
    await consumer.start()
    try:
        topic = event_topic("membership")
        partitions = await topic_partitions(consumer, topic)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(r for r in records if r.key == key)
        return found
    finally:
        await consumer.stop()


async def test_an_established_branch_reaches_the_store_kafka_and_the_read_model(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    accepted = await _establish(gateway, admin_headers)
    branch_id = str(accepted["id"])

    # (a) in the membership event store
    rows = await membership_db.fetch("SELECT type, version, position FROM events WHERE stream_id = $1", branch_id)
    assert [(r["type"], r["version"]) for r in rows] == [("gb.membership.branch_established.v1", 1)]
    assert rows[0]["position"] == accepted["position"]

    # (b) on Kafka, keyed by the branch id, a CloudEvent that an independent library decodes
    records = await eventually(lambda: _find_on_kafka(system, branch_id.encode()), what="the event on Kafka")
    assert len(records) == 1
    record = records[0]
    event = from_binary_event(KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value))
    assert event.get_specversion() == "1.0"
    assert event.get_type() == "gb.membership.branch_established.v1"
    assert event.get_source() == "/golden-bridge/membership"
    assert event.get_subject() == branch_id
    assert event.get_extension("partitionkey") == branch_id
    assert event.get_extension("position") == str(accepted["position"])
    data = event.get_data()
    assert isinstance(data, dict) and data["branch_id"] == branch_id and data["founding_basis"] == "locality"

    # (c) visible through GET with min_position
    started = time.perf_counter()
    response = await gateway.get(f"/v1/branches/{branch_id}", params={"min_position": accepted["position"]},
                                 headers=admin_headers)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert response.json()["branch_id"] == branch_id and response.json()["founding_basis"] == "locality"
    log.info("command-to-read-model visibility through min_position: %.3f s", elapsed)


async def test_a_repeated_post_with_the_same_idempotency_key_writes_once(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    headers = {**admin_headers, "Idempotency-Key": str(uuid.uuid4())}
    body = branch_body()
    first = await gateway.post("/v1/branches", json=body, headers=headers)
    count = await membership_db.fetchval("SELECT count(*) FROM events")
    second = await gateway.post("/v1/branches", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert {**first.json(), "replayed": None} == {**second.json(), "replayed": None}
    assert second.json()["replayed"] is True
    assert await membership_db.fetchval("SELECT count(*) FROM events") == count

    changed = await gateway.post("/v1/branches", json={**body, "industry": "sales"}, headers=headers)
    assert changed.status_code == 422
    assert changed.headers["content-type"] == "application/problem+json"


async def test_of_two_concurrent_conflicting_commands_exactly_one_wins(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool
) -> None:
    branch = await _establish(gateway, admin_headers)
    member = await gateway.post("/v1/members", json=member_body(str(branch["id"])), headers=admin_headers)
    member_id = member.json()["id"]
    for _ in range(5):  # several rounds: the race must never let two outflows in
        responses = await asyncio.gather(*(
            gateway.post(f"/v1/members/{member_id}/outflows", json=outflow_body(), headers=admin_headers)
            for _ in range(2)
        ))
        codes = sorted(r.status_code for r in responses)
        if codes[0] == 201:
            assert codes == [201, 409], [r.text for r in responses]
            break
    assert await membership_db.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'gb.membership.outflow_registered.v2'", member_id
    ) == 1
    again = await gateway.post(f"/v1/members/{member_id}/outflows", json=outflow_body(), headers=admin_headers)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"


async def test_a_member_and_their_outflow_show_in_the_read_models(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    branch = await _establish(gateway, admin_headers)
    branch_id = str(branch["id"])
    secretary = bearer(system, Role.BRANCH_SECRETARY, branch_id)
    number = national_id()
    member = (await gateway.post("/v1/members", json=member_body(branch_id, national_id=number),
                                 headers=secretary)).json()
    out = await gateway.post(f"/v1/members/{member['id']}/outflows", json=outflow_body(), headers=secretary)
    assert out.status_code == 201, out.text

    seen_by_secretary = await gateway.get(f"/v1/members/{member['id']}",
                                          params={"min_position": out.json()["position"]}, headers=secretary)
    assert seen_by_secretary.status_code == 200
    record = seen_by_secretary.json()
    assert record["away"] is True and record["outflow"]["instrument_advised"] == "transfer"
    assert record["national_id"] == f"440{'*' * 14}{number[-1]}"

    # Masked for everyone in the views: the number in clear is read from membership only
    # (/v1/members/{id}/personal-data, tests/e2e/test_erasure.py).
    seen_by_admin = await gateway.get(f"/v1/members/{member['id']}", headers=admin_headers)
    assert seen_by_admin.json()["national_id"] == f"440{'*' * 14}{number[-1]}"

    duplicate = await gateway.post("/v1/members", json=member_body(branch_id, national_id=number), headers=secretary)
    assert duplicate.status_code == 409 and duplicate.json()["member_id"] == member["id"], duplicate.text

    listed = await gateway.get("/v1/members", params={"destination": "Dongguan, Guangdong"}, headers=secretary)
    assert [m["member_id"] for m in listed.json()["items"]] == [member["id"]]
    counts = (await gateway.get(f"/v1/branches/{branch_id}", headers=secretary)).json()
    assert (counts["members"], counts["members_away"]) == (1, 1)


async def test_a_message_that_is_not_our_cloudevent_is_set_aside_and_never_stalls_the_projector(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], read_db: asyncpg.Pool
) -> None:
    from services.kernel.kafka import event_producer

    producer = event_producer(system, "test-poison")
    await producer.start()
    try:
        await producer.send_and_wait(event_topic("membership"), value=b"not json", key=b"poison")
    finally:
        await producer.stop()
    await eventually(lambda: read_db.fetchval("SELECT count(*) FROM dead_letters WHERE key = 'poison'"),
                     what="the poison message recorded as a dead letter")
    accepted = await _establish(gateway, admin_headers)
    after = await gateway.get(f"/v1/branches/{accepted['id']}", params={"min_position": accepted["position"]},
                              headers=admin_headers)
    assert after.status_code == 200
