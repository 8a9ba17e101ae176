"""The events the store's integration tests append: one kind of note, its registry and what a command carries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from services.kernel.events import EventRegistry
from services.kernel.store import CommandMeta


@dataclass(frozen=True, kw_only=True)
class Noted:
    text: str


REGISTRY: EventRegistry[Noted] = EventRegistry(source="/golden-bridge/kernel-test",
                                               events={"gb.test.noted.v1": Noted})


def meta(key: str | None = None, fingerprint: str = "f", traceparent: str | None = None) -> CommandMeta:
    return CommandMeta(actor="tester", occurred_at=datetime.now(UTC), correlation_id=str(uuid.uuid4()),
                       idempotency_key=key, fingerprint=fingerprint, traceparent=traceparent)


def sid() -> str:
    return f"note-{uuid.uuid4()}"
