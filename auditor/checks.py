"""The verifier's checks: pure functions from what was read to the list of what is wrong (empty: intact).

Each problem names what broke — the event (service, id, stream and version, log index) or the tree head —
so an auditor can take it to the county with evidence.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.auditlog.contract.entry import entry_hash
from services.kernel import merkle, tree_head
from services.kernel.events import chain_hash

Event = Mapping[str, Any]

#: How far this auditor's clock and the log's may differ (milliseconds). A head asked for now must be signed no
#: earlier than the asking minus this, or the server served an old head as if it were fresh (a frozen head); and
#: no head or event may be dated later than now plus this. Two minutes: clocks kept by NTP differ by milliseconds,
#: an auditor's laptop sometimes by a minute. ``--max-clock-skew`` changes it.
CLOCK_SKEW_MS = 120_000
#: How long a stored event may take to reach the log (milliseconds): relay → Kafka → the log's sequencer. Running,
#: that is milliseconds (a head asked for is signed over everything taken in so far, and heads are signed every 2 s
#: while the log grows); a relay or Kafka that restarts holds events back for seconds to a few minutes. Ten
#: minutes is generous: an event stored longer ago than that and not in the log was put into the store without
#: being logged (or the log has stopped taking events, which an auditor should hear about too).
#: ``--max-log-lag`` changes it.
LOG_LAG_MS = 600_000


@dataclass(frozen=True)
class SignedHead:
    size: int
    root_hash: bytes
    timestamp_ms: int
    log_id: bytes
    signature: bytes

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SignedHead:
        return cls(size=int(data["size"]), root_hash=bytes.fromhex(data["root_hash"]),
                   timestamp_ms=int(data["timestamp_ms"]), log_id=bytes.fromhex(data["log_id"]),
                   signature=bytes.fromhex(data["signature"]))

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "root_hash": self.root_hash.hex(), "timestamp_ms": self.timestamp_ms,
                "log_id": self.log_id.hex(), "signature": self.signature.hex()}

    def describe(self) -> str:
        return f"tree head of size {self.size} (root {self.root_hash.hex()[:16]}…, signed at {self.timestamp_ms} ms)"

    def signed_by(self, key: Ed25519PublicKey) -> bool:
        try:
            head = tree_head.TreeHead(size=self.size, root_hash=self.root_hash, timestamp_ms=self.timestamp_ms,
                                      log_id=self.log_id)
        except ValueError:
            return False
        return self.log_id == tree_head.log_id_for(key) and tree_head.verify(key, head, self.signature)


def load_public_key(text: str) -> Ed25519PublicKey:
    """A pinned key: PEM, or the base64 of its 32 raw bytes (as /v1/audit/keys and the docs print it)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return tree_head.public_key_from_pem(text.encode())
    return tree_head.public_key_from_b64(text)


def check_head(head: SignedHead, key: Ed25519PublicKey) -> list[str]:
    if not head.signed_by(key):
        return [f"the {head.describe()} is not signed by the pinned key (or its log id is another log's)"]
    return []


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def _seconds(ms: int) -> str:
    return f"{ms / 1000:g} s"


def check_fresh(head: SignedHead, *, asked_ms: int | None, now_ms: int, skew_ms: int = CLOCK_SKEW_MS) -> list[str]:
    """Is the head as fresh as it must be? ``asked_ms``: when this run asked the log to sign a head (None: it took
    the latest head as it was). A server that answers the request but serves an older head (freezes the head) would
    otherwise keep everything after that head out of the check."""
    problems: list[str] = []
    if asked_ms is not None and head.timestamp_ms < asked_ms - skew_ms:
        problems.append(f"stale tree head: this run asked for a fresh head at {_iso(asked_ms)}, and was served the "
                        f"{head.describe()}, signed at {_iso(head.timestamp_ms)}, earlier than that by more than the "
                        f"{_seconds(skew_ms)} the clocks may differ: the server serves an old head as the latest")
    if head.timestamp_ms > now_ms + skew_ms:
        problems.append(f"the {head.describe()} is dated {_iso(head.timestamp_ms)}, later than this auditor's clock "
                        f"({_iso(now_ms)}) by more than {_seconds(skew_ms)}: a head signed with a false time")
    return problems


def check_against_trusted(trusted: SignedHead | None, head: SignedHead, proof: Sequence[bytes] | None,
                          others_of_trusted_size: Iterable[SignedHead] = ()) -> list[str]:
    """Is the new head an extension of the head trusted before? A fork, a shrunk log or a rewritten past is not."""
    problems = [f"fork: the log signed another {other.describe()} beside the trusted {trusted.describe()}"
                for other in others_of_trusted_size
                if trusted is not None and other.size == trusted.size and other.root_hash != trusted.root_hash]
    if trusted is None:
        return problems
    if trusted.size == 0:
        # RFC 9162 defines no consistency proof from the empty tree: every tree extends it. What is left to check is
        # that the trusted head is the empty tree's (its root the SHA-256 of the empty string).
        if trusted.root_hash != merkle.EMPTY_ROOT:
            problems.append(f"the trusted {trusted.describe()} is not the empty tree's: a tree of size 0 has the root "
                            f"{merkle.EMPTY_ROOT.hex()[:16]}…")
        elif head.size == 0 and head.root_hash != merkle.EMPTY_ROOT:
            problems.append(f"fork: the {head.describe()} has size 0 but not the empty tree's root")
        return problems
    if head.size < trusted.size:
        problems.append(f"the log shrank: the {head.describe()} is smaller than the trusted {trusted.describe()}")
    elif head.size == trusted.size:
        if head.root_hash != trusted.root_hash:
            problems.append(f"fork: the {head.describe()} has the size of the trusted {trusted.describe()} but "
                            "another root")
    elif proof is None or not merkle.verify_consistency(trusted.size, head.size, trusted.root_hash, head.root_hash,
                                                         proof):
        problems.append(f"the {head.describe()} is not consistent with the trusted {trusted.describe()}: the log's "
                        "past was rewritten")
    return problems


def _event_name(event: Event) -> str:
    record = f"record {event.get('streamid')} v{event.get('streamversion')}"
    return f"{event.get('source')} event {event.get('id')} ({record})"


def _entry_name(entry: Mapping[str, Any]) -> str:
    return (f"log entry {entry['index']}: {entry['source']} event {entry['event_id']} "
            f"(record {entry['stream_id']} v{entry['stream_version']})")


def _binary_data(event: Event) -> list[str]:
    """No Golden Bridge event carries ``data_base64`` (their data is JSON) and a log entry does not cover it: an
    event that carries one says something no signature vouches for."""
    if "data_base64" in event:
        return [f"{_event_name(event)}: carries data_base64, which no event of the system has and no log entry "
                "covers — refused"]
    return []


def _recorded_ms(event: Event) -> int | None:
    try:
        recorded = datetime.fromisoformat(str(event["recordedat"]))
    except (KeyError, ValueError):
        return None
    if recorded.tzinfo is None:
        recorded = recorded.replace(tzinfo=UTC)
    return int(recorded.timestamp() * 1000)


def _latest_by_record(entries: Sequence[Mapping[str, Any]], problems: list[str] | None = None
                      ) -> dict[tuple[str, str], Mapping[str, Any]]:
    """The latest logged entry of each record. A record's events reach the log in the record's order (one
    partition per record, published in version order): a version logged after a later one, or twice, was put into
    the log after the fact — each such entry is added to ``problems`` when given."""
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    for entry in entries:
        record = (entry["source"], entry["stream_id"])
        before = latest.get(record)
        if before is None or int(entry["stream_version"]) > int(before["stream_version"]):
            latest[record] = entry
        elif problems is None:
            continue
        elif int(entry["stream_version"]) == int(before["stream_version"]):
            problems.append(f"{_entry_name(entry)}: a second event logged as that version of the record (the first: "
                            f"{_entry_name(before)})")
        else:
            problems.append(f"{_entry_name(entry)}: logged after a later version of its record ({_entry_name(before)}) "
                            "— put into the log after the fact, out of the record's order")
    return latest


def check_log(head: SignedHead, entries: Sequence[Mapping[str, Any]], events: Mapping[tuple[str, str], Event]
              ) -> list[str]:
    """Every entry of the head's tree against the event the store holds; the recomputed root against the head."""
    problems: list[str] = []
    if [e["index"] for e in entries] != list(range(head.size)):
        return [f"the log served {len(entries)} entries, not the {head.size} of the {head.describe()}"]
    leaves: list[bytes] = []
    missing: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    _latest_by_record(entries, problems)
    for entry in entries:
        logged = bytes.fromhex(entry["leaf_hash"])
        event = events.get((entry["source"], entry["event_id"]))
        if event is None:
            missing[(entry["source"], entry["stream_id"])].append(entry)
            leaves.append(logged)
            continue
        if "data_base64" in event:
            problems += [f"{_entry_name(entry)}: {p}" for p in _binary_data(event)]
            leaves.append(logged)
            continue
        leaf = entry_hash(event)
        if leaf != logged:
            problems.append(f"{_entry_name(entry)}: the store's event is not what was logged — changed after it was "
                            "recorded (or the log took a forged copy from Kafka)")
        leaves.append(leaf)
    held_streams = {(e["source"], e["streamid"]) for e in events.values()}
    for (source, stream), gone in missing.items():
        if (source, stream) not in held_streams:
            problems.append(f"record {stream} of {source} is gone from its store: its {len(gone)} logged event(s) "
                            f"(log entries {', '.join(str(e['index']) for e in gone[:10])}) are missing")
        else:
            problems.extend(f"{_entry_name(e)}: not in the store — deleted, or injected on Kafka and never stored"
                            for e in gone)
    if merkle.MerkleLog(leaves).root() != head.root_hash:
        problems.append(f"the entries the log served do not add up to the root of the {head.describe()}")
    return problems


def unlogged_key(event: Event) -> str:
    """How an unlogged event is remembered between runs (``--state``): by its place in its record, not by its id.
    Whoever can write the store can also give an unlogged event a new id and a fresh recorded time before each run
    (its chain hash has no key); its record and version it cannot change while the record's later events link to it."""
    return f"{event['source']} {event['streamid']} v{event['streamversion']}"


def check_unlogged(head: SignedHead, entries: Sequence[Mapping[str, Any]], events: Mapping[tuple[str, str], Event],
                   *, seen: Mapping[str, int], now_ms: int, lag_ms: int = LOG_LAG_MS, skew_ms: int = CLOCK_SKEW_MS,
                   ) -> tuple[list[str], dict[str, int]]:
    """Stored events that the head's log does not hold. Being newer than the head is the only innocent reason for
    one; an event put into the store without being logged — a forgery, an insertion into a record's past — looks
    the same at first, and must not pass as newer. One is reported when

    - a later version of its record is logged: the record's chain runs through an event the log never took;
    - it was recorded longer than ``lag_ms`` before the head was signed (the log's lag, ``LOG_LAG_MS``);
    - it is dated after this run (``now_ms``, with ``skew_ms`` for the clocks): a false recorded time;
    - this auditor found it stored and unlogged longer than ``lag_ms`` ago (``seen``: event → when first found).

    Returns the problems and what to remember for the next run: each unlogged event with when it was first found.
    """
    logged = {(e["source"], e["event_id"]) for e in entries}
    latest = _latest_by_record(entries)
    problems: list[str] = []
    remembered: dict[str, int] = {}
    for key, event in events.items():
        if key in logged:
            continue
        name = _event_name(event)
        first_seen = remembered[unlogged_key(event)] = seen.get(unlogged_key(event), now_ms)
        later = latest.get((event["source"], event["streamid"]))
        recorded = _recorded_ms(event)
        if later is not None and int(later["stream_version"]) > int(event["streamversion"]):
            problems.append(f"{name}: not in the log, yet a later version of its record is ({_entry_name(later)}): it "
                            "is not newer than the log but was put into the store without being logged — a forgery, "
                            "or an insertion into the record's past")
        elif recorded is not None and recorded < head.timestamp_ms - lag_ms:
            problems.append(f"{name}: recorded at {_iso(recorded)}, more than {_seconds(lag_ms)} before the "
                            f"{head.describe()}, yet not in its log: put into the store without being logged (or the "
                            "log has stopped taking events)")
        elif recorded is not None and recorded > now_ms + skew_ms:
            problems.append(f"{name}: not in the log, and recorded at {_iso(recorded)}, after this run "
                            f"({_iso(now_ms)}): a false recorded time")
        elif now_ms - first_seen > lag_ms:
            problems.append(f"{name}: still not in the log, though this auditor found it stored at {_iso(first_seen)}, "
                            f"more than {_seconds(lag_ms)} ago: put into the store without being logged (or the log "
                            "has stopped taking events)")
    return problems, remembered


def _versions(low: int, high: int) -> str:
    return f"version {low} is" if low == high else f"versions {low}–{high} are"


def check_chains(events: Iterable[Event], *, whole: bool = True) -> list[str]:
    """Recompute every record's per-stream chain: each event's content against its chain hash, and each link
    to the version before. ``whole``: the records are complete (versions 1, 2, 3…); otherwise (an export) a record
    may begin after version 1 (a time range), but versions missing between two present ones
    are named: the later one links to an event the export does not hold, so the export cannot show that record
    whole — left out as pending, left out by the export's selection, or removed from the file."""
    problems: list[str] = []
    streams: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in events:
        streams[(event["source"], event["streamid"])].append(event)
    for (source, stream), items in streams.items():
        items.sort(key=lambda e: int(e["streamversion"]))
        before: Event | None = None
        for event in items:
            version = int(event["streamversion"])
            where = f"record {stream} of {source}, version {version} (event {event['id']})"
            declared_prev = bytes.fromhex(event["prevhash"]) if event.get("prevhash") else None
            previous = 0 if before is None else int(before["streamversion"])
            if before is not None and version == previous:
                problems.append(f"{where}: a second event as version {version} (the first: event {before['id']})")
            elif whole and version > previous + 1:
                problems.append(f"record {stream} of {source}: {_versions(previous + 1, version - 1)} missing")
            elif before is not None and version > previous + 1:
                problems.append(f"record {stream} of {source}: {_versions(previous + 1, version - 1)} not in the "
                                f"export, though version {version} (event {event['id']}), which links to "
                                f"{'it' if previous + 2 == version else 'them'}, is: the export does not show the "
                                "record whole (left out as pending, left out by its selection, or removed from the "
                                "file)")
            if whole and before is None and declared_prev is not None:
                problems.append(f"{where}: it links to a version before it that is not there")
            if before is not None and previous == version - 1 and (
                    declared_prev is None or declared_prev.hex() != before["chainhash"]):
                problems.append(f"{where}: its link to the version before is broken (reordered or replaced)")
            link = chain_hash(declared_prev, event_id=UUID(event["id"]), stream_id=stream, version=version,
                              type=event["type"], time=datetime.fromisoformat(event["time"]), actor=event["actor"],
                              data=orjson.dumps(event.get("data")))
            if link.hex() != event["chainhash"]:
                problems.append(f"{where}: its content does not match its chain hash")
            before = event
    return problems


def check_inclusion(head: SignedHead, event: Event) -> list[str]:
    """An exported event against the head, with the proof it carries."""
    try:
        index, size = int(event["logindex"]), int(event["logtreesize"])
        proof = [bytes.fromhex(h) for h in str(event.get("logproof", "")).split()]
    except (KeyError, ValueError):
        return [f"{_event_name(event)}: carries no readable log index and proof"]
    if "data_base64" in event:
        return _binary_data(event)
    if size != head.size:
        return [f"{_event_name(event)}: its proof is for tree size {size}, not the export's head ({head.size})"]
    if not merkle.verify_inclusion(entry_hash(event), index, size, proof, head.root_hash):
        return [f"{_event_name(event)} at log entry {index}: not in the signed tree — changed, or never logged"]
    return []


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
