"""A batch reads the partner directory only once its newest record is ``DIRECTORY_SETTLE_SECONDS`` old
(services/partners/router.py): a deactivation, reactivation or subscription stamped before an event has committed
by then, so the event is decided against it — never routed on a directory read a moment too early."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from services.kernel.settings import Settings
from services.partners import router as router_module
from services.partners.domain.routing import Directory
from services.partners.router import Options, Router, settle_seconds


def _event(timestamp: float) -> Any:
    return SimpleNamespace(message=SimpleNamespace(timestamp=timestamp))


def test_a_batch_waits_until_its_newest_record_is_the_margin_old() -> None:
    now = 1_000.0
    assert settle_seconds([_event(now - 5), _event(now - 0.5)], now, margin=2.0) == pytest.approx(1.5)


def test_a_batch_old_enough_waits_not_at_all() -> None:
    assert settle_seconds([_event(990.0)], 1_000.0, margin=2.0) == 0.0


def test_a_record_stamped_in_the_future_costs_at_most_the_margin() -> None:
    assert settle_seconds([_event(5_000.0)], 1_000.0, margin=2.0) == 2.0


def test_an_empty_batch_waits_not_at_all() -> None:
    assert settle_seconds([], 1_000.0, margin=2.0) == 0.0


class Recording(Router):
    """A router whose directory reader records when it was read (the directory holds no subscription)."""

    def __init__(self) -> None:
        settings = Settings(environment="development", data_dir=Path("/nonexistent"),
                            kafka_username="partners-router", kafka_password="p" * 40, pg_password="p" * 40)
        super().__init__(settings, Options(public_base_url="http://gb"))
        self.read_at: list[float] = []

    async def _ensure_reader(self) -> Any:
        async def refresh() -> bool:
            self.read_at.append(time.time())
            return False

        return SimpleNamespace(refresh=refresh, directory=Directory.of({}, ()))

    def _outward(self, event: Any) -> None:
        return None  # these records carry only a timestamp


async def test_deliver_reads_the_directory_only_after_the_batch_settled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(router_module, "DIRECTORY_SETTLE_SECONDS", 0.3)
    router = Recording()
    published = time.time()
    await router.deliver([_event(published)])
    assert router.read_at and router.read_at[0] >= published + 0.3
