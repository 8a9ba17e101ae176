"""``auditor verify`` against a fake gateway in memory (httpx.MockTransport): the runs, their state between runs,
and the servers that lie — a head frozen in the past, an event stored without being logged."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from auditor.checks import LOG_LAG_MS
from auditor.run import Report, verify_http
from services.auditlog.contract.entry import entry_hash
from services.kernel import merkle, tree_head
from services.kernel.events import Envelope, chain_hash, encode

SOURCE = "/golden-bridge/membership"
KEY = tree_head.generate_private_key()
PINNED = tree_head.public_key_to_b64(KEY.public_key())


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class FakeGateway:
    """The audit API over one store: ``stored`` events, of which the first ``logged`` are in the log. A head is
    signed over the log as it is when asked for (POST), as the real log does. ``frozen``: the latest head served
    instead of the one just signed (a lying proxy)."""

    def __init__(self) -> None:
        self.stored: list[dict[str, Any]] = []
        self.logged: list[dict[str, Any]] = []
        self.heads: list[dict[str, Any]] = []
        self.frozen: dict[str, Any] | None = None

    def store(self, stream: str, *, forged: bool = False, recorded: datetime | None = None) -> dict[str, Any]:
        """The next version of ``stream``; logged at once unless ``forged`` (put into the store only)."""
        before = [e for e in self.stored if e["streamid"] == stream]
        version = len(before) + 1
        prev = bytes.fromhex(before[-1]["chainhash"]) if before else None
        event_id, data = uuid.uuid4(), encode({"member_id": stream, "note": f"fact {version}"})
        at = datetime.now(UTC)
        link = chain_hash(prev, event_id=event_id, stream_id=stream, version=version, type="gb.membership.x.v1",
                          time=at, actor="county_admin:a", data=data)
        event = Envelope(id=event_id, source=SOURCE, type="gb.membership.x.v1", time=at, subject=stream,
                         stream_id=stream, stream_type="member", stream_version=version, actor="county_admin:a",
                         correlation_id="c", causation_id=None, data=data, prev_hash=prev, hash=link,
                         position=len(self.stored) + 1, recorded_at=recorded or at).cloudevent()
        self.stored.append(event)
        if not forged:
            self.logged.append(event)
        return event

    def sign(self, timestamp_ms: int | None = None) -> dict[str, Any]:
        leaves = [entry_hash(e) for e in self.logged]
        head = tree_head.TreeHead(size=len(leaves), root_hash=merkle.root(leaves),
                                  timestamp_ms=_now_ms() if timestamp_ms is None else timestamp_ms,
                                  log_id=tree_head.log_id_for(KEY.public_key()))
        signed = {"size": head.size, "root_hash": head.root_hash.hex(), "timestamp_ms": head.timestamp_ms,
                  "log_id": head.log_id.hex(), "signature": tree_head.sign(KEY, head).hex()}
        self.heads.append(signed)
        return signed

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, query = request.url.path, request.url.params
        leaves = [entry_hash(e) for e in self.logged]
        if request.method == "POST" and path == "/v1/audit/tree-heads":
            self.sign()
            return httpx.Response(201, json={})
        if path == "/v1/audit/keys":
            return httpx.Response(200, json={"public_key": PINNED, "services": ["membership"]})
        if path == "/v1/audit/tree-heads/latest":
            return httpx.Response(200, json=self.frozen or self.heads[-1])
        if path == "/v1/audit/tree-heads":
            size = int(query["size"])
            return httpx.Response(200, json={"size": size, "heads": [h for h in self.heads if h["size"] == size]})
        if path == "/v1/audit/proofs/consistency":
            first, second = int(query["first"]), int(query["second"])
            if first < 1:  # as the real one answers: RFC 9162 defines no proof from the empty tree
                return httpx.Response(422, json={"detail": "first >= 1"})
            return httpx.Response(200, json={"proof": [h.hex() for h in merkle.consistency_proof(first, second,
                                                                                                 leaves)]})
        if path == "/v1/audit/entries":
            start, limit = int(query["start"]), int(query["limit"])
            return httpx.Response(200, json={"size": len(leaves), "entries": [
                {"index": i, "source": e["source"], "event_id": e["id"], "stream_id": e["streamid"],
                 "stream_version": int(e["streamversion"]), "leaf_hash": leaves[i].hex()}
                for i, e in enumerate(self.logged) if start <= i < start + limit]})
        if path == "/v1/audit/events":
            after = int(query["after"])
            page = [e for e in self.stored if int(e["position"]) > after][:int(query["limit"])]
            return httpx.Response(200, content=orjson.dumps(
                {"events": page, "next_after": int(page[-1]["position"]) if page else after}))
        if path == "/v1/audit/conflicts":
            return httpx.Response(200, json={"conflicts": []})
        return httpx.Response(404)


def _verify(fake: FakeGateway, state: Path, **options: Any) -> Report:
    return verify_http("http://gateway.test", "token", PINNED, state, transport=httpx.MockTransport(fake.handle),
                       **options)


def _trusted(state: Path) -> dict[str, Any]:
    [path] = state.glob("trusted-head-*.json")
    return dict(json.loads(path.read_text()))


@pytest.fixture
def fake() -> FakeGateway:
    fake = FakeGateway()
    for stream in ("m1", "m2"):
        for _ in range(2):
            fake.store(stream)
    return fake


def test_an_honest_log_verifies_and_the_next_run_extends_the_head_it_trusted(fake: FakeGateway,
                                                                             tmp_path: Path) -> None:
    first = _verify(fake, tmp_path)
    assert first.problems == [] and first.summary.startswith("intact"), first
    fake.store("m3")
    second = _verify(fake, tmp_path)
    assert second.problems == [], second.problems
    assert _trusted(tmp_path)["size"] == 5


def test_an_event_stored_without_being_logged_that_a_logged_command_chained_onto_fails_every_run(
    fake: FakeGateway, tmp_path: Path
) -> None:
    """The review's forge_unlogged.py: m1 v3 forged into the store (chain hash right, never published), then a
    command logged as v4 on top of it."""
    assert _verify(fake, tmp_path).problems == []
    trusted = _trusted(tmp_path)
    forged = fake.store("m1", forged=True)
    fake.store("m1")
    for _ in range(2):
        report = _verify(fake, tmp_path)
        assert report.summary.startswith("BROKEN")
        assert [p for p in report.problems if forged["id"] in p and "later version of its record" in p], report
    assert _trusted(tmp_path) == trusted  # nothing newer is trusted


def test_an_unlogged_event_is_remembered_and_named_when_a_later_run_still_finds_it_unlogged(
    fake: FakeGateway, tmp_path: Path
) -> None:
    # Stored without being logged, and dated as if it had just been stored on every run (its recorded time lies).
    pending = fake.store("m2", forged=True, recorded=datetime.now(UTC) + timedelta(seconds=60))
    first = _verify(fake, tmp_path)
    assert first.problems == [] and "1 stored events are not in the log yet" in first.summary, first
    [memory] = tmp_path.glob("unlogged-events-*.json")
    seen = json.loads(memory.read_text())
    assert list(seen) == [f"{SOURCE} {pending['streamid']} v{pending['streamversion']}"]
    # The log's lag passes (the auditor's own record of when it first found the event, moved back).
    memory.write_text(json.dumps({k: v - LOG_LAG_MS - 1000 for k, v in seen.items()}))
    later = _verify(fake, tmp_path)
    assert [p for p in later.problems if pending["id"] in p and "still not in the log" in p], later


def test_a_head_frozen_in_the_past_is_refused_however_the_request_for_a_fresh_one_was_answered(
    fake: FakeGateway, tmp_path: Path
) -> None:
    """The review's frozen_proxy.py: the auditor's request for a head answered 201, the latest head served the one
    it trusted an hour ago — so nothing logged after it would ever be checked."""
    fake.frozen = fake.sign(timestamp_ms=_now_ms() - 3_600_000)
    assert _verify(fake, tmp_path, fresh_head=False).problems == []  # trusted, as the latest head as it was
    fake.store("m1")
    report = _verify(fake, tmp_path)
    assert any(p.startswith("stale tree head") for p in report.problems), report


def test_an_auditor_that_first_trusted_the_empty_log_verifies_again(tmp_path: Path) -> None:
    fake = FakeGateway()
    first = _verify(fake, tmp_path)
    assert first.problems == [] and _trusted(tmp_path)["size"] == 0
    fake.store("m1")
    fake.store("m1")
    second = _verify(fake, tmp_path)
    assert second.problems == [], second.problems
    assert _trusted(tmp_path)["size"] == 2


def test_a_trusted_empty_tree_with_another_root_is_named(tmp_path: Path) -> None:
    fake = FakeGateway()
    assert _verify(fake, tmp_path).problems == []
    [path] = tmp_path.glob("trusted-head-*.json")
    path.write_text(json.dumps({**_trusted(tmp_path), "root_hash": "00" * 32}))
    fake.store("m1")
    assert any("not the empty tree's" in p for p in _verify(fake, tmp_path).problems)

