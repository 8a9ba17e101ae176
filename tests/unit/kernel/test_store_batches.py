"""The rows a run over many records appends (services/kernel/store_batches.py) are the ones the store itself
would append: the same data bytes, numbering and hash-chain links, so the auditors' chain check holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from services.kernel.events import Envelope, EventRegistry, chain_hash
from services.kernel.store import CommandMeta, EventStore, RecordedEvent, Stream
from services.kernel.store_batches import NewRows


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


def _stream(version: int, last_hash: bytes | None) -> Stream[Noted]:
    if last_hash is None:
        return Stream(stream_id="note-1", version=version)
    last = Envelope(id=uuid.uuid4(), source="s", type="gb.test.noted.v1", time=META.occurred_at, subject="note-1",
                    stream_id="note-1", stream_type="note", stream_version=version, actor="a", correlation_id="c",
                    causation_id=None, data=b"{}", prev_hash=None, hash=last_hash)
    return Stream(stream_id="note-1", version=version, events=[RecordedEvent(envelope=last, event=EVENTS[0])])


@pytest.mark.parametrize(("version", "last_hash"), [(0, None), (7, b"\x05" * 32)])
def test_new_rows_are_exactly_the_events_the_store_would_build(
    version: int, last_hash: bytes | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = NewRows(REGISTRY, actor=META.actor, occurred_at=META.occurred_at, correlation_id=META.correlation_id,
                   causation_id=META.causation_id, traceparent=META.traceparent).of(
        "note-1", "note", version, last_hash, EVENTS)
    stream = _stream(version, last_hash)
    ids = iter([uuid.UUID(row[0]) for row in rows])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(ids))  # the store's ids are then the rows' ids
    store: EventStore[Any] = EventStore(None, REGISTRY)  # builds envelopes, never connects
    envelopes = store._envelopes(stream, "note", EVENTS, META)
    assert rows == [(str(e.id), e.stream_id, e.stream_type, e.stream_version, e.type, e.data.decode(), e.time,
                     e.actor, e.correlation_id, e.causation_id, e.prev_hash, e.hash, e.traceparent) for e in envelopes]
    assert [r[3] for r in rows] == [version + 1, version + 2]


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
