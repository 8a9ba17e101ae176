"""What one webhook delivery sends: the body (CloudEvents HTTP structured mode), its Standard Webhooks
signature, and the retry schedule — pure functions, so each is tested on its own.

Signing is the ``standardwebhooks`` package's own ``Webhook.sign`` (the reference implementation a
partner verifies with): ``v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`` under
the base64-decoded part of the secret after ``whsec_``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from standardwebhooks import Webhook

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
#: The partner-topic header naming the subscriptions that selected a record (comma-separated ids).
SUBSCRIPTIONS_HEADER = "gb-subscriptions"
USER_AGENT = "GoldenBridge-Webhooks/1"


class NotACloudEvent(ValueError):
    """A partner-topic record whose value is not a CloudEvent JSON object with an ``id``."""


def selected_by(headers: Iterable[tuple[str, bytes | None]]) -> frozenset[str]:
    """The subscription ids a partner-topic record's ``gb-subscriptions`` header names (every copy of
    the header counts; blanks and surrounding spaces are dropped)."""
    found: set[str] = set()
    for key, value in headers:
        if key.lower() == SUBSCRIPTIONS_HEADER and value:
            found.update(part.strip() for part in value.decode("utf-8", "replace").split(","))
    found.discard("")
    return frozenset(found)


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """One event as the sink receives it: the same ``event_id`` and ``body`` on every attempt."""

    event_id: str
    position: int
    body: bytes


def delivery_of(value: bytes | None, position: int) -> Delivery:
    """The structured CloudEvent of a partner-topic record with the extension ``position`` (its offset,
    as a string: CloudEvents extension values the HTTP binding carries are strings)."""
    try:
        event: Any = orjson.loads(value or b"")
    except orjson.JSONDecodeError as exc:
        raise NotACloudEvent(f"offset {position}: not JSON ({exc})") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not event["id"]:
        raise NotACloudEvent(f"offset {position}: not a CloudEvent object with an id")
    event["position"] = str(position)
    return Delivery(event_id=event["id"], position=position, body=orjson.dumps(event))


def signed_headers(secret: str, delivery: Delivery, timestamp: int) -> dict[str, str]:
    """The request headers of one attempt at ``timestamp`` (unix seconds; each attempt signs anew)."""
    at = datetime.fromtimestamp(timestamp, UTC)
    signature = Webhook(secret).sign(msg_id=delivery.event_id, timestamp=at, data=delivery.body.decode("utf-8"))
    return {
        "content-type": CONTENT_TYPE,
        "user-agent": USER_AGENT,
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


@dataclass(frozen=True, kw_only=True)
class Backoff:
    """Exponential backoff with full jitter: after the n-th failure in a row, wait a random time between
    0 and min(cap, base · 2^(n-1)) seconds (spreads a recovering sink's load instead of a thundering herd)."""

    base: float = 0.5
    cap: float = 60.0

    def ceiling(self, failures: int) -> float:
        if failures < 1:
            return 0.0
        # 2**64 already exceeds any cap; bounding the exponent keeps the float finite.
        return min(self.cap, self.base * 2.0 ** min(failures - 1, 64))

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        return (rng or random).uniform(0.0, self.ceiling(failures))


def outcome(status: int | None, error: str | None) -> str:
    """The words a failed attempt leaves in the log and in a pause's reason."""
    if status is not None:
        return f"HTTP {status}"
    return error or "no answer"
