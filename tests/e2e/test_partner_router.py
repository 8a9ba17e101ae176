"""The partner router on the real system: each partner's topic holds exactly the events in its scope and
subscriptions, masked by its personal-data policy, as structured CloudEvents — checked against the
membership store, read as the partner's own Kafka principal.

The helpers here (places, partners, reading a partner topic, the store's events, the router's lag) serve
tests/e2e/test_partner_router_faults.py too.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from cloudevents.core.bindings.kafka import KafkaMessage, from_structured_event

from services import system
from services.kernel.kafka import admin_client, event_consumer, topic_partitions
from services.kernel.settings import Settings
from services.partners.contract.kafka import ROUTER_APP_ID
from tests.e2e.conftest import branch_body, eventually, member_body

REGISTERED = "goldenbridge.member.registered.v1"
ORGANISATION = "goldenbridge.organisation.established.v1"
CONTENT_TYPE = b"application/cloudevents+json; charset=utf-8"
#: From the gateway call to the partner topic: store, relay, Kafka, router (a restart stalls ~10 s).
ROUTED_WAIT = 120.0


# --------------------------------------------------------------------------- places and partners


@dataclass
class Places:
    """A county with townships (by letter) and each township's branches, made through the API."""

    county: str
    townships: dict[str, str] = field(default_factory=dict)
    branches: dict[str, list[str]] = field(default_factory=dict)

    @property
    def organisations(self) -> list[str]:
        return [self.county, *self.townships.values(), *(b for bs in self.branches.values() for b in bs)]


def township_id(run: str, letter: str) -> str:
    return f"township-{letter}-{run}"


async def created(gateway: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
    response = await gateway.post(path, json=body, headers=headers)
    assert response.status_code == 201, f"{path}: {response.text}"
    return str(response.json()["id"])


async def establish(gateway: httpx.AsyncClient, admin: dict[str, str], run: str, letters: tuple[str, ...],
                    branches_each: int = 2) -> Places:
    places = Places(county=f"county-{run}")
    await created(gateway, "/v1/organisations", {
        "org_id": places.county, "name": f"County {run}", "kind": "county_committee", "parent_id": None,
        "approval_authority": True, "established_on": "2026-01-05"}, admin)
    for letter in letters:
        town = places.townships[letter] = township_id(run, letter)
        await created(gateway, "/v1/organisations", {
            "org_id": town, "name": f"Township {letter} {run}", "kind": "township_committee",
            "parent_id": places.county, "approval_authority": True, "established_on": "2026-01-05"}, admin)
        places.branches[letter] = [await created(gateway, "/v1/branches", branch_body(home_org_id=town), admin)
                                   for _ in range(branches_each)]
    return places


async def register_partner(gateway: httpx.AsyncClient, admin: dict[str, str], partner_id: str, *,
                           townships: list[str], event_types: list[str], personal_data: str,
                           types: list[str]) -> str:
    """A partner scoped to ``townships`` and its KAFKA subscription to ``types`` (empty: all in scope)."""
    await created(gateway, "/v1/partners", {
        "partner_id": partner_id, "name": "某县人社局 (router test)", "kind": "labour_bureau", "contact": "0000",
        "personal_data": personal_data,
        "scope": {"event_types": event_types, "organisations": [], "townships": townships}}, admin)
    return await created(gateway, "/v1/subscriptions", {
        "partner_id": partner_id, "protocol": "KAFKA", "types": types, "filters": []}, admin)


# --------------------------------------------------------------------------- the partner's topic


@dataclass(frozen=True)
class FeedRecord:
    offset: int
    key: bytes
    headers: dict[str, bytes]
    value: bytes

    @property
    def event(self) -> dict[str, Any]:
        return dict(orjson.loads(self.value))

    @property
    def id(self) -> str:
        return str(self.event["id"])


async def read_feed(gateway: httpx.AsyncClient, admin: dict[str, str], partner_id: str) -> list[FeedRecord]:
    """Every record of the partner's topic, read as the partner (its own SCRAM principal, no group)."""
    response = await gateway.get(f"/v1/partners/{partner_id}/kafka-credentials", headers=admin)
    assert response.status_code == 200, response.text
    creds = response.json()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=creds["bootstrap_servers"], security_protocol=creds["security_protocol"],
        sasl_mechanism=creds["sasl_mechanism"], sasl_plain_username=creds["username"],
        sasl_plain_password=creds["password"], group_id=None, enable_auto_commit=False,
        auto_offset_reset="earliest", client_id=f"test-{partner_id}")
    await consumer.start()
    try:
        partitions = await topic_partitions(consumer, creds["topic"], timeout=30)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        out: list[FeedRecord] = []
        while any([await consumer.position(tp) < ends[tp] for tp in partitions]):
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                out += [FeedRecord(offset=r.offset, key=r.key or b"", headers=dict(r.headers), value=r.value or b"")
                        for r in records]
        return out
    finally:
        await consumer.stop()


async def provisioned(gateway: httpx.AsyncClient, admin: dict[str, str], partner_id: str) -> None:
    """Until the partner's principal and topic exist on Kafka (the partners service provisions them
    shortly after the registration)."""
    async def readable() -> bool:
        try:
            await read_feed(gateway, admin, partner_id)
            return True
        except (KafkaError, RuntimeError):
            return False
    await eventually(readable, timeout=60, what=f"partner {partner_id} provisioned on Kafka", every=0.5)


@dataclass(frozen=True)
class Tally:
    """A partner topic against what should be in it."""

    records: int
    missing: frozenset[str]
    unexpected: frozenset[str]
    #: Ids delivered more than once, with how many times.
    duplicates: dict[str, int]
    #: Ids whose records differ from one delivery to the next (a duplicate must be the same CloudEvent).
    inconsistent: frozenset[str]

    def summary(self) -> str:
        return (f"{self.records} records, {self.records - sum(self.duplicates.values()) + len(self.duplicates)} "
                f"distinct, {len(self.missing)} missing, {len(self.unexpected)} out of scope, "
                f"{sum(n - 1 for n in self.duplicates.values())} duplicates of {len(self.duplicates)} events")


def tally(feed: list[FeedRecord], expected: set[str]) -> Tally:
    counts = Counter(r.id for r in feed)
    first: dict[str, bytes] = {}
    inconsistent = set()
    for r in feed:
        if first.setdefault(r.id, r.value) != r.value:
            inconsistent.add(r.id)
    return Tally(records=len(feed), missing=frozenset(expected - set(counts)),
                 unexpected=frozenset(set(counts) - expected),
                 duplicates={i: n for i, n in counts.items() if n > 1}, inconsistent=frozenset(inconsistent))


# --------------------------------------------------------------------------- the stores and the router


async def stored(db: asyncpg.Pool, sql_types: list[str], where: str, *args: Any) -> set[str]:
    """Ids of the membership store's events of ``sql_types`` (LIKE patterns) that match ``where``."""
    rows = await db.fetch(f"SELECT event_id FROM events WHERE type LIKE ANY($1::text[]) AND ({where})",
                          sql_types, *args)
    return {str(r["event_id"]) for r in rows}


async def registrations_in(db: asyncpg.Pool, branches: list[str]) -> set[str]:
    return await stored(db, ["gb.membership.member_registered.%"], "data->>'formal_org_id' = ANY($2::text[])",
                        branches)


async def organisations_under(db: asyncpg.Pool, places: Places, letter: str) -> set[str]:
    """The organisation events of a township and its branches (not of the county above it)."""
    return await stored(db, ["gb.membership.organisation_established.%", "gb.membership.branch_established.%"],
                        "stream_id = ANY($2::text[])", [places.townships[letter], *places.branches[letter]])


async def wait_until_published(db: asyncpg.Pool) -> None:
    """Until the relay has published every stored event (the outbox is empty)."""
    async def empty() -> bool:
        return bool(await db.fetchval("SELECT count(*) FROM outbox") == 0)
    await eventually(empty, timeout=ROUTED_WAIT, what="the membership relay publishing everything")


async def router_lag(settings: Settings) -> int:
    """Events on the internal topics not yet committed by the router's group (acked = delivered)."""
    admin = admin_client(settings, "test-router-lag")
    consumer = event_consumer(settings, "test-router-lag")
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(ROUTER_APP_ID)
        partitions: list[TopicPartition] = []
        for topic in (s.topic for s in system.SERVICES if s.name != "partners"):
            partitions += await topic_partitions(consumer, topic)
        ends = await consumer.end_offsets(partitions)
        return sum(end - max(committed[tp].offset if tp in committed else 0, 0) for tp, end in ends.items())
    finally:
        await consumer.stop()
        await admin.close()


async def wait_until_routed(settings: Settings, timeout: float = ROUTED_WAIT) -> None:
    """Until the router's group has committed everything on the internal topics: it acks an event only
    once the broker has acknowledged every record routed from it, so the partner topics then hold them."""
    await eventually(lambda: _lag_is_zero(settings), timeout=timeout, what="the router catching up", every=0.5)


async def _lag_is_zero(settings: Settings) -> bool:
    return await router_lag(settings) == 0


# --------------------------------------------------------------------------- the test


async def test_each_partner_gets_exactly_the_events_in_its_scope_masked_by_its_policy(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], membership_db: asyncpg.Pool,
) -> None:
    run = uuid.uuid4().hex[:8]
    plain, masked = f"rt-plain-{run}", f"rt-masked-{run}"
    # Partners and subscriptions first: a subscription selects events from its creation on.
    plain_sub = await register_partner(gateway, admin_headers, plain, townships=[township_id(run, "a")],
                                       event_types=[REGISTERED, ORGANISATION], personal_data="none",
                                       types=[REGISTERED])
    masked_sub = await register_partner(gateway, admin_headers, masked, townships=[township_id(run, "b")],
                                        event_types=[REGISTERED, ORGANISATION], personal_data="masked", types=[])
    # A township that was never established as an event: the router finds it in no tree (after waiting
    # for its organisation follower) and takes it as itself, so a scope naming it still reaches its branch.
    orphan, lone_township = f"rt-orphan-{run}", f"township-never-{run}"
    orphan_sub = await register_partner(gateway, admin_headers, orphan, townships=[lone_township],
                                        event_types=[REGISTERED], personal_data="masked", types=[REGISTERED])
    places = await establish(gateway, admin_headers, run, ("a", "b"))
    for letter in ("a", "b"):
        for branch in places.branches[letter]:
            for _ in range(3):
                await created(gateway, "/v1/members", member_body(branch, name="张三丰"), admin_headers)
    lone_branch = await created(gateway, "/v1/branches", branch_body(home_org_id=lone_township), admin_headers)
    await created(gateway, "/v1/members", member_body(lone_branch, name="张三丰"), admin_headers)

    # What the store says each partner should see: its townships' registrations (and, for the partner
    # whose subscription takes every type in scope, its township's organisation events too).
    expected = {
        plain: await registrations_in(membership_db, places.branches["a"]),
        masked: (await registrations_in(membership_db, places.branches["b"])
                 | await organisations_under(membership_db, places, "b")),
        orphan: await registrations_in(membership_db, [lone_branch]),
    }
    assert len(expected[plain]) == 6 and len(expected[masked]) == 6 + 3 and len(expected[orphan]) == 1

    for partner in (plain, masked, orphan):
        await provisioned(gateway, admin_headers, partner)

        async def complete(partner: str = partner) -> bool:
            return not tally(await read_feed(gateway, admin_headers, partner), expected[partner]).missing
        await eventually(complete, timeout=ROUTED_WAIT, what=f"{partner}'s events on its topic")
    # Then everything the router will ever write for these events is there: whatever came after would
    # be out of scope.
    await wait_until_published(membership_db)
    await wait_until_routed(system)
    feeds = {p: await read_feed(gateway, admin_headers, p) for p in (plain, masked, orphan)}

    for partner, subscription, policy in ((plain, plain_sub, "none"), (masked, masked_sub, "masked"),
                                          (orphan, orphan_sub, "masked")):
        result = tally(feeds[partner], expected[partner])
        print(f"{partner}: {result.summary()}")
        assert not result.missing and not result.unexpected, result.summary()
        assert not result.inconsistent, f"a duplicate differs from its original: {sorted(result.inconsistent)}"
        for record in feeds[partner]:
            event = record.event
            assert record.headers["content-type"] == CONTENT_TYPE
            assert record.headers["gb-subscriptions"] == subscription.encode()
            assert record.key == event["subject"].encode()
            parsed = from_structured_event(KafkaMessage(headers=record.headers, key=record.key, value=record.value))
            assert parsed.get_id() == event["id"] and parsed.get_specversion() == "1.0"
            assert event["source"] == "/golden-bridge/membership" and event["partner"] == partner
            assert event["dataschema"].endswith(f"/v1/schemas/{event['type']}.json")
            data = event["data"]
            if event["type"] == REGISTERED:
                assert event["subject"] == f"member/{data['member_id']}"
                if policy == "none":
                    assert data["name"] is None and data["national_id_masked"] is None
                else:
                    assert data["name"] == "张**" and data["national_id_masked"].count("*") >= 10
            else:
                assert event["type"] == ORGANISATION and partner == masked
                assert data["organisation_id"] in [places.townships["b"], *places.branches["b"]]
