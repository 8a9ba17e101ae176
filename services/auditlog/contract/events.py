"""The audit log's own events: each tree head it signs (one stream, ``tree-heads``).

The signature is over the 96 bytes of services.kernel.tree_head (not over this JSON): a verifier
rebuilds them from ``size``, ``timestamp_ms``, ``root_hash`` and ``log_id``.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.kernel.events import EventRegistry


@dataclass(frozen=True, kw_only=True)
class TreeHeadSigned:
    size: int
    #: Hex SHA-256 values and the hex Ed25519 signature.
    root_hash: str
    timestamp_ms: int
    log_id: str
    signature: str
    #: "interval" (issued while events arrive) or "request" (someone asked for one).
    reason: str


REGISTRY: EventRegistry[object] = EventRegistry(
    source="/golden-bridge/auditlog", events={"gb.auditlog.tree_head_signed.v1": TreeHeadSigned})

TREE_HEADS_STREAM = "tree-heads"
