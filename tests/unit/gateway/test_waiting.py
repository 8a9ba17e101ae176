"""The read-your-writes wait (``min_position``): how often it asks the read models, and what a refusal says."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from services.gateway.readmodels import waiting
from services.gateway.readmodels.waiting import NotCaughtUp, PositionNotIssued, wait_for_position


class Clock:
    """Stands in for the module's ``time`` and ``asyncio``: a sleep moves this clock, nothing else."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class NeverApplied:
    """A read-model pool in which the awaited event never appears."""

    def __init__(self) -> None:
        self.asked = 0

    async def fetchval(self, *_: Any) -> bool:
        self.asked += 1
        return False


class Issued:
    def __init__(self, issued: bool, last: int) -> None:
        self.position = 41
        self.answer = (issued, last)

    async def issued(self, source: str) -> tuple[bool, int] | None:
        return self.answer


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(waiting, "time", SimpleNamespace(monotonic=fake.monotonic))
    monkeypatch.setattr(waiting, "asyncio", SimpleNamespace(sleep=fake.sleep))
    return fake


async def test_a_long_wait_asks_the_read_models_a_few_times_a_second_not_two_hundred(clock: Clock) -> None:
    pool = NeverApplied()
    with pytest.raises(NotCaughtUp):
        await wait_for_position(pool, "/golden-bridge/membership", Issued(True, 50), timeout=5.0)  # type: ignore[arg-type]
    # Before: every 5 ms to the end, about 1,000 questions in 5 s.
    assert pool.asked < 160
    fast = [s for s in clock.sleeps if s <= waiting.FAST_POLL_SECONDS]
    assert sum(fast) <= waiting.FAST_POLL_FOR_SECONDS + waiting.FAST_POLL_SECONDS
    assert clock.sleeps[:4] == [0.001, 0.002, 0.004, 0.005]  # a command's own event is still found at once


async def test_a_position_never_issued_is_refused_without_naming_the_stores_last(clock: Clock) -> None:
    with pytest.raises(PositionNotIssued) as refused:
        await wait_for_position(NeverApplied(), "/golden-bridge/membership", Issued(False, 1234))  # type: ignore[arg-type]
    assert "41" in str(refused.value) and "1234" not in str(refused.value)
