"""The partner router's organisation tree survives a restart in its snapshot (services/partners/org_tree.py), on the
real Kafka of ``./gb test``: a follower started again reads only what came after the snapshot and knows the same
tree as one that read the whole topic; a snapshot that does not match the topic is not trusted."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest

from services.kernel.events import Envelope, encode
from services.kernel.kafka import event_producer
from services.kernel.settings import Settings
from services.membership.contract.events import REGISTRY
from services.membership.contract.events.branches import OrganisationEstablished, OrgKind
from services.partners.domain.routing import OrgTree
from services.partners.org_tree import OrgFollower
from tests.integration.topics import scratch_topic

PARTITIONS = 3


@pytest.fixture
async def topic(settings: Settings) -> AsyncIterator[str]:
    async with scratch_topic(settings, "orgtree", PARTITIONS) as name:
        yield name


async def establish(settings: Settings, topic: str, orgs: Sequence[tuple[str, str | None]]) -> None:
    """One OrganisationEstablished per (organisation, parent), keyed by the organisation, as the relay sends it."""
    producer = event_producer(settings, "gb-test-orgtree")
    await producer.start()
    try:
        for org, parent in orgs:
            event = OrganisationEstablished(
                org_id=org, name=f"organisation {org}", kind=OrgKind.TOWNSHIP_COMMITTEE if parent else
                OrgKind.COUNTY_COMMITTEE, parent_id=parent, approval_authority=True, established_on=date(2026, 1, 5),
                actor="test", approving_org_id=parent, policy_version="test")
            env = Envelope(id=uuid.uuid4(), source=REGISTRY.source, type=REGISTRY.wire_name(event),
                           time=datetime.now(UTC), subject=f"organisation/{org}", stream_id=org,
                           stream_type="organisation", stream_version=1, actor="test", correlation_id="c",
                           causation_id=None, data=encode(event), prev_hash=None, hash=b"\x00" * 32)
            await producer.send_and_wait(topic, env.data, key=org.encode(), headers=env.kafka_headers())
    finally:
        await producer.stop()


async def follow(settings: Settings, topic: str, snapshot: Path) -> tuple[OrgTree, int]:
    """A follower started, caught up with the topic and stopped: its tree and how many records it read."""
    tree = OrgTree()
    follower = OrgFollower(settings, REGISTRY, topic, tree, snapshot=snapshot)
    follower.start()
    try:
        await follower.catch_up(60)
    finally:
        await follower.stop()
    return tree, follower.records_read


FIRST: list[tuple[str, str | None]] = [("county", None), *((f"tw-{i}", "county") for i in range(12))]
LATER: list[tuple[str, str | None]] = [(f"br-{i}", f"tw-{i % 12}") for i in range(9)]


async def test_a_restarted_follower_reads_only_what_came_after_its_snapshot(settings: Settings, topic: str,
                                                                            tmp_path: Path) -> None:
    snapshot = tmp_path / "org-tree.json"
    await establish(settings, topic, FIRST)
    tree, read = await follow(settings, topic, snapshot)
    assert read == len(FIRST) and tree.parents == dict(FIRST)
    assert snapshot.exists()

    await establish(settings, topic, LATER)
    tree, read = await follow(settings, topic, snapshot)
    assert read == len(LATER)  # the first thirteen came from the snapshot
    assert tree.parents == dict(FIRST + LATER)
    whole, read_all = await follow(settings, topic, tmp_path / "none-yet.json")
    assert read_all == len(FIRST) + len(LATER) and whole.parents == tree.parents


@pytest.mark.parametrize("damage", ["another event id", "another topic", "not json"])
async def test_a_snapshot_that_does_not_match_the_topic_is_not_trusted(settings: Settings, topic: str,
                                                                         tmp_path: Path, damage: str) -> None:
    snapshot = tmp_path / "org-tree.json"
    await establish(settings, topic, FIRST)
    await follow(settings, topic, snapshot)
    saved = orjson.loads(snapshot.read_bytes())
    saved["parents"]["tw-0"] = "somewhere-else"  # what a wrong snapshot would teach, if it were believed
    if damage == "another event id":  # the topic was recreated and refilled: same offsets, other events
        partition = next(iter(saved["last"]))
        saved["last"][partition][1] = str(uuid.uuid4())
    elif damage == "another topic":
        saved["topic"] = "gb.test.orgtree.elsewhere"
    snapshot.write_bytes(b"{not json" if damage == "not json" else orjson.dumps(saved))

    tree, read = await follow(settings, topic, snapshot)
    assert read == len(FIRST)  # the whole topic again
    assert tree.parents == dict(FIRST)
