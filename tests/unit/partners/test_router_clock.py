"""A batch is decided against the directory read after a quiet moment of the partners store later than the moment
its newest event was recorded (services/partners/router.py ``clock_wait``): every deactivation, reactivation or
subscription recorded before an event is then in it. The router waits only while that store's clock is behind,
and never more than ``CLOCK_WAIT_SECONDS`` in all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from services.kernel.events import Envelope
from services.kernel.settings import Settings
from services.kernel.store import RecordedEvent
from services.partners import router as router_module
from services.partners.contract.events import PartnerDeactivated
from services.partners.directory import stamped_as_recorded
from services.partners.domain.routing import Directory
from services.partners.router import Options, Router, clock_wait

T = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_no_wait_when_the_moment_is_after_the_newest_event() -> None:
    assert clock_wait(T, T + timedelta(milliseconds=1), 0.0, margin=2.0) == 0.0


def test_no_wait_for_a_batch_with_nothing_to_route() -> None:
    assert clock_wait(None, T, 0.0, margin=2.0) == 0.0


def test_a_store_clock_behind_waits_until_it_has_passed_the_event() -> None:
    assert clock_wait(T + timedelta(seconds=0.5), T, 0.0, margin=2.0) == pytest.approx(0.5, abs=1e-5)


def test_an_event_at_the_very_moment_waits_past_it() -> None:
    # A change recorded in the same microsecond counts as before the event: the moment must be later.
    assert 0.0 < clock_wait(T, T, 0.0, margin=2.0) < 0.001


def test_the_wait_never_passes_the_margin_whatever_a_clock_says() -> None:
    assert clock_wait(T + timedelta(hours=1), T, 0.0, margin=2.0) == 2.0
    assert clock_wait(T + timedelta(hours=1), T, 1.5, margin=2.0) == pytest.approx(0.5)
    assert clock_wait(T + timedelta(hours=1), T, 2.0, margin=2.0) == 0.0


class Recording(Router):
    """A router whose directory reader hands out the given quiet moments (the directory holds no subscription)."""

    def __init__(self, moments: list[datetime], event_time: datetime) -> None:
        settings = Settings(environment="development", data_dir=Path("/nonexistent"),
                            kafka_username="partners-router", kafka_password="p" * 40, pg_password="p" * 40)
        super().__init__(settings, Options(public_base_url="http://gb"))
        self.moments, self.event_time = moments, event_time
        self.reads = 0

    async def _ensure_reader(self) -> Any:
        async def settled() -> datetime:
            self.reads += 1
            return self.moments.pop(0)

        return SimpleNamespace(settled=settled, directory=Directory.of({}, ()))

    def _outward(self, event: Any) -> Any:
        # An event published at once, as the relay does: recorded a moment after it happened.
        return SimpleNamespace(time=self.event_time - timedelta(milliseconds=5), recorded_at=self.event_time), object()


def _record() -> Any:
    return SimpleNamespace(message=SimpleNamespace(topic="gb.membership.events"))


async def test_deliver_reads_the_directory_once_when_the_store_is_past_the_batch() -> None:
    router = Recording([T + timedelta(seconds=1)], event_time=T)
    await router.deliver([_record()])
    assert router.reads == 1


async def test_deliver_reads_again_once_a_store_clock_behind_has_passed_the_batch(
        monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(router_module.asyncio, "sleep", sleep)
    router = Recording([T - timedelta(seconds=0.3), T + timedelta(microseconds=5)], event_time=T)
    await router.deliver([_record()])
    assert router.reads == 2
    assert waits == [pytest.approx(0.3, abs=1e-5)]


def test_the_directory_takes_a_changes_routing_time_from_when_it_was_recorded() -> None:
    recorded_at = T + timedelta(milliseconds=40)
    event = PartnerDeactivated(partner_id="p", reason="r", deactivated_at=T, actor="county_admin:a")
    envelope = SimpleNamespace(recorded_at=recorded_at)
    stamped = stamped_as_recorded(RecordedEvent(envelope=cast(Envelope, envelope), event=event))
    assert stamped.deactivated_at == recorded_at and stamped.partner_id == "p"
