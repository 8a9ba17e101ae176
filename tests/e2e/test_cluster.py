"""The cluster of ``./gb run --cluster`` (issue 15, item 3): three Kafka brokers with a three-voter controller
quorum, replication 3 and min.insync.replicas 2, and two instances of every service, relay, projector and policy
processor. Commands keep being accepted, and keep reaching the read models, while the active controller is
SIGKILLed and while one instance of the membership service is.

Like test_supervision.py, a second system beside the session's: started the way ``./gb run --cluster`` starts it
(the supervisor, GB_KAFKA_BROKERS=3, GB_INSTANCES=2), in a data folder of its own, on the session's ports + 300
(its Kafka nodes take six ports from there, its PostgreSQL the next but one; no test slot's nor the other second
systems' ports lie there). A killed process is held down (``kill --keep-down``) while the commands go on, so that
the system works without it rather than after its restart; then it is started again.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from infra import kafka, kafka_quorum, local
from infra.processes import app_processes
from services.kernel import supervision
from services.kernel.kafka import admin_client
from services.kernel.settings import Settings
from services.kernel.topics import event_topic
from tests.e2e.conftest import branch_body, eventually, second_system_settings

PORT_OFFSET = 300
#: Its PostgreSQL listens after its Kafka nodes' six ports, below Linux's ephemeral port range.
PG_BESIDE_KAFKA = 7
#: Concurrent clients sending commands while a process is down, and how many each has accepted meanwhile.
CLIENTS, ACCEPTED_EACH = 4, 5
#: A cluster start (three JVMs, thirty processes) on a loaded machine, and a recovery, take long.
START = 300.0


def _folder(settings: Settings) -> Path:
    return settings.data_dir.with_name(f"{settings.data_dir.name}-cluster")


def _cluster_settings(settings: Settings) -> Settings:
    return second_system_settings(settings, "cluster", PORT_OFFSET, PG_BESIDE_KAFKA, kafka_brokers=3, instances=2)


@pytest.fixture(scope="module")
def cluster(settings: Settings) -> Iterator[Settings]:
    if _folder(settings).exists():  # what an interrupted run left behind (its secrets go with it)
        local.down(_cluster_settings(settings))
        shutil.rmtree(_folder(settings))
    s = _cluster_settings(settings)  # its secrets made afresh in the new folder
    try:
        local.up(s)
        yield s
    finally:
        local.down(s)


@pytest.fixture
async def gateway(cluster: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{cluster.gateway_port}", timeout=60.0) as client:
        await eventually(lambda: _ready(client), timeout=START, what="the cluster ready")
        yield client


async def _ready(gateway: httpx.AsyncClient) -> bool:
    try:
        return (await gateway.get("/readyz")).status_code == 200
    except httpx.TransportError:
        return False


async def _accepted_and_projected(gateway: httpx.AsyncClient, headers: dict[str, str], key: str) -> str:
    """Register a branch under ``key``: accepted at once (201, never a 503 the client would have to retry), then
    shown by the read model; returns its id."""
    answer = await gateway.post("/v1/branches", json=branch_body(name=f"Cluster branch {key}"),
                                headers={**headers, "Idempotency-Key": key})
    assert answer.status_code == 201, answer.text
    body = answer.json()

    async def projected() -> bool:
        seen = await gateway.get(f"/v1/branches/{body['id']}", params={"min_position": body["position"]},
                                 headers=headers)
        return seen.status_code == 200

    await eventually(projected, timeout=120, what=f"branch {key} in the read models")
    return str(body["id"])


async def _load_while_down(gateway: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    """CLIENTS clients, each registering ACCEPTED_EACH branches one after the other; key → branch id."""
    async def client(n: int) -> dict[str, str]:
        done = {}
        for _ in range(ACCEPTED_EACH):
            key = f"cluster-{n}-{uuid.uuid4().hex[:8]}"
            done[key] = await _accepted_and_projected(gateway, headers, key)
        return done

    results = await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    return {key: branch for done in results for key, branch in done.items()}


async def test_the_cluster_runs_three_brokers_and_two_instances_of_each_process(
        cluster: Settings, gateway: httpx.AsyncClient) -> None:
    s = cluster
    assert kafka_quorum.voters(s) == {1, 2, 3}
    described = await _describe(s, event_topic("membership"))
    assert {len(p["replicas"]) for p in described["partitions"]} == {3}
    assert described["min.insync.replicas"] == "2"
    names = {row["name"] for row in local.status(s)}
    assert {"kafka-1", "kafka-2", "kafka-3", "membership", "membership-2", "membership-relay-2", "projector-2",
            "funds-credit-2"} <= names
    checks = (await gateway.get("/readyz")).json()["checks"]
    assert set(checks["processes"]) == {"postgres", "kafka-1", "kafka-2", "kafka-3",
                                        *(p.name for p in app_processes(s))}
    assert len(checks["membership"]) == 2 and set(checks["membership"].values()) == {"ok"}


async def _describe(s: Settings, topic: str) -> dict[str, Any]:
    admin = admin_client(s, "gb-test-cluster")
    await admin.start()
    try:
        (info,) = await admin.describe_topics([topic])
        (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic, None)])
        (resource,) = response.to_object()["resources"]
        configs = {e["config_names"]: e["config_value"] for e in resource["config_entries"]}
        return {"partitions": info["partitions"], "min.insync.replicas": configs["min.insync.replicas"]}
    finally:
        await admin.close()


async def test_commands_reach_the_read_models_while_the_active_controller_is_killed(
        cluster: Settings, gateway: httpx.AsyncClient) -> None:
    s = cluster
    headers = {"Authorization": f"Bearer {s.admin_token}"}
    leader = await asyncio.to_thread(kafka_quorum.active_controller, s)
    victim = kafka.node_name(s, leader)
    assert await asyncio.to_thread(local.kill, victim, s, keep_down=True), f"{victim} was not running"
    try:
        done = await _load_while_down(gateway, headers)
        assert len(set(done.values())) == CLIENTS * ACCEPTED_EACH  # one branch per key: none lost, none doubled
        assert kafka.running_pid(s, leader) is None, f"{victim} came back during the load"
        assert await asyncio.to_thread(kafka_quorum.active_controller, s) != leader  # the quorum chose another
    finally:
        await asyncio.to_thread(local.start, victim, s)
    await eventually(lambda: _ready(gateway), timeout=START, what=f"{victim} back and the cluster ready")


async def test_commands_are_accepted_while_one_membership_instance_is_killed(
        cluster: Settings, gateway: httpx.AsyncClient) -> None:
    s = cluster
    headers = {"Authorization": f"Bearer {s.admin_token}"}
    assert await asyncio.to_thread(local.kill, "membership", s, keep_down=True)
    try:
        await eventually(lambda: _row_held(s, "membership"), what="the supervisor holding membership down")
        done = await _load_while_down(gateway, headers)
        assert len(set(done.values())) == CLIENTS * ACCEPTED_EACH
        membership = (await gateway.get("/readyz")).json()["checks"]["membership"]
        assert sorted(membership.values()) == ["failed: ServiceUnreachable", "ok"], membership
    finally:
        await asyncio.to_thread(local.start, "membership", s)
    await eventually(lambda: _ready(gateway), timeout=START, what="membership back and the cluster ready")


async def _row_held(s: Settings, name: str) -> bool:
    table = supervision.read_table(s)
    return table is not None and any(r.name == name and r.state == "held" for r in table.processes)
