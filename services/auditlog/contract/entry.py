"""What one log entry commits to: the bytes of an event whose RFC 9162 leaf hash the log records.

Both sides build it from the same thing, an event as a structured CloudEvent (the form the stores'
audit feed serves and ``Envelope.cloudevent()`` gives): the log from the record it consumed on Kafka,
an auditor from the event the owning service's store serves. Every attribute is committed to — the
CloudEvents attributes and every extension (position, stream and version, recorded time, the
per-stream chain links, actor, correlation) — and the data by its SHA-256, so a changed byte, a moved
position or a re-dated record gives another leaf.

The bytes are canonical JSON (orjson, keys sorted, no whitespace) of the attributes without ``data``,
plus ``datasha256`` (hex SHA-256 of the data re-encoded by orjson) and ``entry`` (this format's name).
An event carrying ``data_base64`` (CloudEvents' binary data) has no entry: the system's events hold JSON data,
and an entry that dropped it would let an exported event carry bytes no signature covers.
Pure: the standard library and orjson only, so an auditor's tool can take it alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from services.kernel.merkle import leaf_hash

ENTRY_FORMAT = "gb-log-entry/1"
#: Attributes an export adds to an event (its place in the log and the proof): not part of the entry.
PROOF_ATTRIBUTES = frozenset({"logindex", "logtreesize", "logproof"})


def data_sha256(data: Any) -> str:
    return hashlib.sha256(orjson.dumps(data)).hexdigest()


def entry_bytes(event: Mapping[str, Any]) -> bytes:
    """The log entry of a structured CloudEvent (a mapping with ``data``); ValueError for one with ``data_base64``."""
    if "data_base64" in event:
        raise ValueError("the event carries data_base64: an entry commits to JSON data only")
    attributes = {k: v for k, v in event.items() if k != "data" and k not in PROOF_ATTRIBUTES}
    attributes["datasha256"] = data_sha256(event.get("data"))
    attributes["entry"] = ENTRY_FORMAT
    return orjson.dumps(attributes, option=orjson.OPT_SORT_KEYS)


def entry_hash(event: Mapping[str, Any]) -> bytes:
    """The RFC 9162 leaf hash of the event's entry."""
    return leaf_hash(entry_bytes(event))
