"""Checking a stream's history: its per-stream hash chain recomputed from what the store holds."""

from __future__ import annotations

from typing import Any

from services.kernel.events import chain_hash
from services.kernel.store import EventStore


async def verify_stream(store: EventStore[Any], stream_id: str) -> list[str]:
    """Recompute a stream's hash chain; return what is wrong (empty when history is intact)."""
    problems: list[str] = []
    prev: bytes | None = None
    for expected_version, rec in enumerate((await store.load(stream_id)).events, start=1):
        env = rec.envelope
        if env.stream_version != expected_version:
            problems.append(f"version {expected_version} is missing")
        if env.prev_hash != prev:
            problems.append(f"version {env.stream_version}: previous-hash link broken")
        link = chain_hash(
            prev, event_id=env.id, stream_id=env.stream_id, version=env.stream_version, type=env.type,
            time=env.time, actor=env.actor, data=env.data,
        )
        if link != env.hash:
            problems.append(f"version {env.stream_version}: content does not match its hash")
        prev = env.hash
    return problems
