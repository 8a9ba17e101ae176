"""Records the router can never read are set aside, not retried: a stray ``not json`` on an event topic
held every partner's delivery for good (each attempt and each restart failed on it again)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from services.kernel.events import Envelope
from services.kernel.settings import Settings
from services.membership.contract.events import REGISTRY
from services.partners.router import Options, Router
from services.partners.router_dead_letters import Unreadable
from tests.unit.partners.builders import member

TOPIC = "gb.membership.events"
REGISTERED = REGISTRY.wire_name(member("m-1", "branch-1"))


def _router() -> Router:
    settings = Settings(environment="development", data_dir=Path("/nonexistent"), kafka_username="partners-router",
                        kafka_password="p" * 40, pg_password="p" * 40)
    return Router(settings, Options(public_base_url="http://gb"))


def _record(headers: list[tuple[str, bytes]], value: bytes, offset: int = 7) -> Any:
    message = SimpleNamespace(topic=TOPIC, partition=0, offset=offset, headers=headers, value=value, key=b"k",
                              timestamp=0.0)
    return SimpleNamespace(message=message)


def _event(kind: str, data: bytes) -> Any:
    envelope = Envelope(id=uuid.uuid4(), source="/golden-bridge/membership", type=kind,
                        time=datetime(2026, 3, 1, tzinfo=UTC), subject="member/m-1", stream_id="m-1",
                        stream_type="member", stream_version=1, actor="a", correlation_id="c", causation_id=None,
                        data=data, prev_hash=None, hash=b"\0" * 32, position=1, recorded_at=None)
    return _record(envelope.kafka_headers(), data)


@pytest.mark.parametrize("headers, value", [
    ([], b"not json"),
    ([], b""),
    ([("ce_id", b"not a uuid")], b"{}"),
    ([("ce_id", b"\xff\xfe")], b"{}"),
])
def test_a_record_that_is_no_cloudevent_of_ours_is_unreadable(headers: list[tuple[str, bytes]], value: bytes) -> None:
    with pytest.raises(Unreadable, match="not a Golden Bridge CloudEvent"):
        _router()._outward(_record(headers, value))


@pytest.mark.parametrize("data", [b"{}", b"not json", b'{"member_id": 5}', b"\xff", '{"name": "张三丰"}'.encode()])
def test_an_event_whose_data_does_not_fit_its_schema_is_unreadable(data: bytes) -> None:
    with pytest.raises(Unreadable, match=f"{REGISTERED} does not fit its schema") as raised:
        _router()._outward(_event(REGISTERED, data))
    # The reason is logged: it names the errors, never the values (a name, an ID number) they quote.
    assert raised.value.reason.endswith(" in MemberRegistered)") and "张" not in raised.value.reason


def test_an_event_of_a_type_this_router_does_not_know_is_passed_over() -> None:
    assert _router()._outward(_event("goldenbridge.member.invented.v9", b"{}")) is None


def test_a_good_event_is_routed() -> None:
    found = _router()._outward(_event(REGISTERED, REGISTRY.encode(member("m-1", "branch-1"))))
    assert found is not None and found[0].type == REGISTERED


async def test_unreadable_records_are_kept_within_the_attempt_and_the_batch_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    router = _router()
    kept: list[tuple[Any, str]] = []

    class Reader:
        directory = SimpleNamespace(subscriptions={})

        async def settled(self) -> datetime:
            return datetime.max.replace(tzinfo=UTC)  # the store's clock past every event: no wait

    async def reader() -> Any:
        return Reader()

    async def set_aside(unreadable: list[tuple[Any, str]]) -> None:
        kept.extend(unreadable)

    monkeypatch.setattr(router, "_ensure_reader", reader)
    monkeypatch.setattr(router, "_set_aside", set_aside)
    await router.deliver([_record([], b"not json", offset=3), _event(REGISTERED, b"{}")])
    assert [(m.offset, reason.split(":")[0]) for m, reason in kept] == [
        (3, "not a Golden Bridge CloudEvent"), (7, f"{REGISTERED} does not fit its schema")]
