"""The W3C trace context rides on every event as the CloudEvents distributed-tracing extension."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.kernel.events import Envelope

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _envelope(traceparent: str | None) -> Envelope:
    return Envelope(
        id=uuid.uuid4(), source="/golden-bridge/test", type="gb.test.noted.v1",
        time=datetime(2026, 11, 24, 8, 30, tzinfo=UTC), subject="s-1", stream_id="s-1", stream_type="note",
        stream_version=1, actor="county_admin:a", correlation_id="c-1", causation_id=None, data=b'{"x":1}',
        prev_hash=None, hash=b"\x01" * 32, position=7, traceparent=traceparent,
    )


def test_a_traced_event_carries_its_traceparent_in_the_kafka_headers_and_back() -> None:
    env = _envelope(TRACEPARENT)
    headers = dict(env.kafka_headers())
    assert headers["ce_traceparent"] == TRACEPARENT.encode()
    assert Envelope.from_kafka(env.kafka_headers(), env.data).traceparent == TRACEPARENT


def test_a_traced_event_carries_its_traceparent_in_the_structured_cloudevent() -> None:
    assert _envelope(TRACEPARENT).cloudevent()["traceparent"] == TRACEPARENT


def test_an_untraced_event_has_no_traceparent_attribute_at_all() -> None:
    env = _envelope(None)
    assert "traceparent" not in env.extensions()
    assert "ce_traceparent" not in dict(env.kafka_headers())
    assert Envelope.from_kafka(env.kafka_headers(), env.data).traceparent is None
