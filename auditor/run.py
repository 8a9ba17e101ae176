"""The verifier's two runs: over HTTP (the log and every store) and over an export file."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from auditor.checks import (
    CLOCK_SKEW_MS,
    LOG_LAG_MS,
    SignedHead,
    check_against_trusted,
    check_chains,
    check_fresh,
    check_head,
    check_inclusion,
    check_log,
    check_unlogged,
    load_public_key,
)
from services.kernel import tree_head

TREE_HEAD_TYPE = "gb.auditlog.tree_head_signed.v1"


class CannotVerify(Exception):
    """The check could not run: the server did not answer as the API says, or the arguments are wrong."""


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    summary: str = ""


class TrustedHeads:
    """The last head this auditor trusted, one file per log id, written only after a clean run."""

    def __init__(self, folder: Path, log_id: bytes) -> None:
        self.path = folder / f"trusted-head-{log_id.hex()[:16]}.json"

    def load(self) -> SignedHead | None:
        try:
            return SignedHead.from_json(json.loads(self.path.read_text()))
        except FileNotFoundError:
            return None

    def save(self, head: SignedHead) -> None:
        _write(self.path, head.to_json())


class UnloggedEvents:
    """The stored events a run found outside the log, with when it first found each (ms), one file per log id:
    an event still outside it a run later than the log's lag was put into the store without being logged."""

    def __init__(self, folder: Path, log_id: bytes) -> None:
        self.path = folder / f"unlogged-events-{log_id.hex()[:16]}.json"

    def load(self) -> dict[str, int]:
        try:
            return {str(k): int(v) for k, v in json.loads(self.path.read_text()).items()}
        except FileNotFoundError:
            return {}

    def save(self, seen: dict[str, int]) -> None:
        _write(self.path, seen)


def _write(path: Path, content: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(content, indent=2))
    os.replace(tmp, path)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class Gateway:
    def __init__(self, url: str, token: str, transport: httpx.BaseTransport | None = None) -> None:
        self.client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60.0,
                                   transport=transport)

    def get(self, path: str, **params: Any) -> Any:
        try:
            answer = self.client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise CannotVerify(f"GET {path}: {exc}") from None
        if answer.status_code != 200:
            raise CannotVerify(f"GET {path} answered {answer.status_code}: {answer.text[:300]}")
        return orjson.loads(answer.content)

    def sign_now(self) -> None:
        try:
            answer = self.client.post("/v1/audit/tree-heads", json={})
        except httpx.HTTPError as exc:
            raise CannotVerify(f"POST /v1/audit/tree-heads: {exc}") from None
        if answer.status_code != 201:
            raise CannotVerify(f"POST /v1/audit/tree-heads answered {answer.status_code}: {answer.text[:300]}")

    def entries(self, size: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while len(out) < size:
            page = self.get("/v1/audit/entries", start=len(out), limit=min(10_000, size - len(out)))["entries"]
            if not page:
                break
            out.extend(page)
        return out

    def events(self, service: str) -> Iterator[dict[str, Any]]:
        after = 0
        while True:
            page = self.get("/v1/audit/events", service=service, after=after, limit=5000)
            yield from page["events"]
            if not page["events"]:
                return
            after = page["next_after"]


def verify_http(url: str, token: str, key_text: str, state: Path, *, fresh_head: bool = True,
                clock_skew_ms: int = CLOCK_SKEW_MS, log_lag_ms: int = LOG_LAG_MS,
                transport: httpx.BaseTransport | None = None) -> Report:
    """``transport``: how HTTP reaches the gateway (tests put a fake or a lying proxy there)."""
    try:
        key = load_public_key(key_text)
    except ValueError as exc:
        raise CannotVerify(f"the public key: {exc}") from None
    gateway = Gateway(url, token, transport)
    report = Report()
    served = gateway.get("/v1/audit/keys")
    if served["public_key"] != tree_head.public_key_to_b64(key):
        report.problems.append(f"the server now names another key ({served['public_key']}) than the pinned one")
    asked_ms = _now_ms() if fresh_head else None
    if fresh_head:
        gateway.sign_now()
    head = SignedHead.from_json(gateway.get("/v1/audit/tree-heads/latest"))
    report.problems += check_head(head, key)
    # Asked for a fresh head, it must be one: a head frozen in the past leaves everything after it unchecked.
    report.problems += check_fresh(head, asked_ms=asked_ms, now_ms=_now_ms(), skew_ms=clock_skew_ms)
    trusted_store = TrustedHeads(state, tree_head.log_id_for(key))
    trusted = trusted_store.load()
    proof = None
    others: list[SignedHead] = []
    if trusted is not None:
        others = [SignedHead.from_json(h) for h in gateway.get("/v1/audit/tree-heads", size=trusted.size)["heads"]]
        others = [h for h in others if h.signed_by(key)]
        # Every tree extends the empty one: there is no proof to ask for (RFC 9162 defines none from size 0).
        if 0 < trusted.size < head.size:
            proof = [bytes.fromhex(h) for h in gateway.get("/v1/audit/proofs/consistency", first=trusted.size,
                                                           second=head.size)["proof"]]
    report.problems += check_against_trusted(trusted, head, proof, others)
    entries = gateway.entries(head.size)
    services = sorted({e["source"].rsplit("/", 1)[-1] for e in entries} | set(served.get("services", [])))
    events: dict[tuple[str, str], dict[str, Any]] = {}
    for service in services:
        for event in gateway.events(service):
            events[(event["source"], event["id"])] = event
    report.problems += check_log(head, entries, events)
    report.problems += check_chains(events.values())
    # Stored events outside the head's log: newer than the head, or stored without being logged. Remembered, so that
    # one still outside it a run later than the log's lag is named even when its recorded time lies.
    unlogged_store = UnloggedEvents(state, tree_head.log_id_for(key))
    problems, unlogged = check_unlogged(head, entries, events, seen=unlogged_store.load(), now_ms=_now_ms(),
                                        lag_ms=log_lag_ms, skew_ms=clock_skew_ms)
    report.problems += problems
    conflicts = gateway.get("/v1/audit/conflicts")["conflicts"]
    report.problems += [f"a record on Kafka ({c['topic']}[{c['partition']}]@{c['offset']}) names {c['source']} event "
                        f"{c['event_id']}, already logged with other content: someone wrote to an event topic"
                        for c in conflicts]
    report.summary = (f"{'BROKEN' if report.problems else 'intact'}: {head.size} log entries checked against the "
                      f"{head.describe()}; {len(events)} stored events in "
                      f"{len({(s, e['streamid']) for (s, _), e in events.items()})} records recomputed"
                      + (f"; {len(unlogged)} stored events are not in the log yet (remembered in {state}: one still "
                         f"outside it after {log_lag_ms / 1000:g} s is named)" if unlogged else ""))
    unlogged_store.save(unlogged)
    if not report.problems:
        trusted_store.save(head)
    return report


def verify_export(content: bytes, key_text: str, state: Path) -> Report:
    try:
        key = load_public_key(key_text)
        batch = orjson.loads(content)
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise CannotVerify(f"{exc}") from None
    if not isinstance(batch, list) or not batch or batch[0].get("type") != TREE_HEAD_TYPE:
        raise CannotVerify("not an export: a CloudEvents batch starting with the signed tree head")
    head = SignedHead.from_json(batch[0]["data"])
    report = Report()
    report.problems += check_head(head, key)
    trusted_store = TrustedHeads(state, tree_head.log_id_for(key))
    trusted = trusted_store.load()
    if trusted is not None and trusted.size == head.size:
        # Offline there is no consistency proof to fetch, but equal sizes must have equal roots (else a fork).
        report.problems += check_against_trusted(trusted, head, None)
    events = batch[1:]
    for event in events:
        report.problems += check_inclusion(head, event)
    # Versions missing between two present ones are named: the file alone cannot say which were pending (the
    # export's Gb-Export-Pending header is not signed, and a file is easily cut), so a gap is never "intact".
    report.problems += check_chains(events, whole=False)
    report.summary = (f"{'BROKEN' if report.problems else 'intact'}: {len(events)} exported events included in the "
                      f"{head.describe()}")
    # A head learnt offline is not saved as trusted: only `verify` shows it consistent with the last one.
    return report
