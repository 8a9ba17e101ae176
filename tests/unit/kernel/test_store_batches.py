"""The rows the store appends (services/kernel/store_batches.py NewRows, for one command or a run over many records):
numbered in order, hash-chained as the auditors' chain check computes it, each event with a random id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.kernel.events import EventRegistry, chain_hash
from services.kernel.store import CommandMeta
from services.kernel.store_batches import MAX_EVENT_BYTES, EventTooLarge, NewRows


@dataclass(frozen=True, kw_only=True)
class Noted:
    text: str
    amount: Decimal


REGISTRY: EventRegistry[Noted] = EventRegistry(source="/golden-bridge/kernel-test", events={"gb.test.noted.v1": Noted})
# Not UTC on purpose: the link hashes the time in UTC, whatever zone the command's time came in.
META = CommandMeta(actor="county_admin:x", correlation_id="dues-run-2026-11", causation_id="cause-1",
                   occurred_at=datetime(2026, 11, 24, 9, 5, 1, 250, timezone(timedelta(hours=8))),
                   traceparent="00-abc-def-01")
EVENTS = [Noted(text="合计 \"quoted\" \\ \n", amount=Decimal("12.50")), Noted(text="b", amount=Decimal("0.10"))]


def test_each_link_is_the_chain_hash_of_its_event_after_the_one_before() -> None:
    rows = NewRows(REGISTRY, actor="a", occurred_at=META.occurred_at, correlation_id="c").of(
        "note-1", "note", 3, b"\x01" * 32, EVENTS)
    prev = b"\x01" * 32
    for event_id, stream_id, _, version, wire, data, time, actor, *_, prev_hash, link, _ in rows:
        assert prev_hash == prev
        assert link == chain_hash(prev, event_id=uuid.UUID(event_id), stream_id=stream_id, version=version, type=wire,
                                  time=time, actor=actor, data=data.encode())
        prev = link


def test_event_ids_are_random_version_4_uuids_in_their_canonical_text() -> None:
    rows = NewRows(REGISTRY, actor="a", occurred_at=META.occurred_at, correlation_id="c").of(
        "note-1", "note", 0, None, EVENTS * 500)
    ids = [row[0] for row in rows]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert (str(parsed), parsed.version, parsed.variant) == (text, 4, uuid.RFC_4122)


def test_an_event_too_large_for_a_kafka_record_is_refused_before_anything_is_stored() -> None:
    """A larger event was stored and answered 201, then refused by Kafka on every try: the relay stuck behind it."""
    rows = NewRows(REGISTRY, actor="a", occurred_at=META.occurred_at, correlation_id="c")
    big = Noted(text="驻" * (MAX_EVENT_BYTES // 3 + 1), amount=Decimal(0))  # three bytes each in UTF-8
    with pytest.raises(EventTooLarge) as refused:
        rows.of("note-1", "note", 0, None, [EVENTS[0], big])
    assert refused.value.status == 422 and "gb.test.noted.v1" in str(refused.value) and "驻" not in str(refused.value)
    fits = Noted(text="驻" * (MAX_EVENT_BYTES // 3 - 100), amount=Decimal(0))
    assert len(rows.of("note-1", "note", 0, None, [fits])) == 1
