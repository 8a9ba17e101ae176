"""Kernel pieces without I/O: the envelope's Kafka form, the hash chain, request bodies from commands."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.kernel.bodies import body_model, to_command
from services.kernel.events import Envelope, chain_hash, encode
from services.pure.identity import Actor, Role


def _envelope(**overrides: object) -> Envelope:
    values: dict[str, object] = dict(
        id=uuid.uuid4(), source="/golden-bridge/test", type="gb.test.noted.v1",
        time=datetime(2026, 11, 24, 8, 30, tzinfo=UTC), subject="s-1", stream_id="s-1", stream_type="note",
        stream_version=3, actor="county_admin:a", correlation_id="c-1", causation_id=None, data=b'{"x":1}',
        prev_hash=None, hash=b"\x01" * 32, position=42,
    )
    values.update(overrides)
    return Envelope(**values)  # type: ignore[arg-type]


def test_an_envelope_survives_the_kafka_binary_mode_round_trip() -> None:
    env = _envelope(causation_id="cause-9")
    back = Envelope.from_kafka(env.kafka_headers(), env.data)
    assert (back.id, back.type, back.stream_version, back.position, back.causation_id, back.hash) == (
        env.id, env.type, 3, 42, "cause-9", env.hash)
    assert dict(env.kafka_headers())["content-type"] == b"application/json"


def test_the_hash_chain_changes_with_any_field_and_with_the_previous_link() -> None:
    base = dict(event_id=uuid.UUID(int=1), stream_id="s", version=1, type="t", time=datetime(2026, 1, 1, tzinfo=UTC),
                actor="a", data=b"{}")
    link = chain_hash(None, **base)  # type: ignore[arg-type]
    assert link == chain_hash(None, **base)  # type: ignore[arg-type]
    assert link != chain_hash(b"\x00" * 31 + b"\x01", **base)  # type: ignore[arg-type]
    for field, value in (("version", 2), ("type", "u"), ("actor", "b"), ("data", b'{"a":1}')):
        assert link != chain_hash(None, **{**base, field: value})  # type: ignore[arg-type]


def test_money_is_encoded_as_a_string_never_a_float() -> None:
    assert encode({"amount": Decimal("40.10")}) == b'{"amount":"40.10"}'


@dataclass(frozen=True, kw_only=True)
class Pay:
    """Pay some months."""

    actor: Actor
    today: date
    member_id: str
    months: tuple[str, ...]
    amount: Decimal
    count: int
    proxy: bool = False


def test_a_body_generated_from_a_command_is_strict_and_refuses_unknown_fields() -> None:
    body = body_model(Pay, ["member_id"])
    assert body.__doc__ == "Pay some months."
    ok = body.model_validate_json('{"months": ["2026-01"], "amount": "40.00", "count": 1}')
    cmd = to_command(Pay, ok, actor=Actor(subject="s", role=Role.MEMBER), today=date(2026, 1, 1), member_id="m")
    assert cmd.amount == Decimal("40.00") and cmd.months == ("2026-01",) and cmd.proxy is False
    for bad in ('{"months": [], "amount": "1", "count": "1"}', '{"months": [], "amount": "1", "count": 1, "x": 2}',
                '{"amount": "1", "count": 1}', '{"months": [], "amount": "1", "count": 1, "member_id": "m"}'):
        with pytest.raises(ValidationError):
            body.model_validate_json(bad)
