"""The router's guard: a failed batch is tried again whole, never given back to faust; what escapes ends
the process (faust's own agent-error handler would commit the failed batch: docs/decisions/partner-router.md)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from services.kernel.settings import Settings
from services.partners import router as router_module
from services.partners.router import InjectedFault, Options, Router, create_app


class HardExit(Exception):
    """Stands in for os._exit in these tests."""


@pytest.fixture(autouse=True)
def _no_waiting_and_no_exit(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    exits: list[str] = []

    def fake_exit(reason: str) -> None:
        exits.append(reason)
        raise HardExit(reason)

    monkeypatch.setattr(router_module, "RETRY_BASE_SECONDS", 0.0)
    monkeypatch.setattr(router_module, "hard_exit", fake_exit)
    return exits


def _settings() -> Settings:
    return Settings(environment="development", data_dir=Path("/nonexistent"), kafka_username="partners-router",
                    kafka_password="p" * 40, pg_password="p" * 40)


class Flaky(Router):
    """A router whose attempts fail ``failures`` times, recording the batch each attempt was given."""

    def __init__(self, failures: int, options: Options | None = None) -> None:
        super().__init__(_settings(), options or Options(public_base_url="http://gb"))
        self.failures = failures
        self.attempts: list[Sequence[Any]] = []

    async def deliver(self, events: Sequence[Any]) -> None:
        self.attempts.append(events)
        if len(self.attempts) <= self.failures:
            raise ConnectionError("broker gone")


async def test_a_failed_batch_is_tried_again_whole_until_it_succeeds() -> None:
    batch = ["e1", "e2", "e3"]
    router = Flaky(failures=3)
    await router.deliver_guarded(batch)  # type: ignore[arg-type]
    assert router.attempts == [batch] * 4


async def test_after_the_last_attempt_the_process_exits_instead_of_giving_the_batch_back(
    _no_waiting_and_no_exit: list[str],
) -> None:
    router = Flaky(failures=10_000)
    with pytest.raises(HardExit):
        await router.deliver_guarded(["e1"])  # type: ignore[arg-type]
    assert len(router.attempts) == router_module.RETRY_ATTEMPTS
    assert "failed" in _no_waiting_and_no_exit[0]


def test_the_fault_switch_raises_once_at_the_nth_event() -> None:
    router = Router(_settings(), Options(public_base_url="http://gb", raise_at=3))
    router._maybe_fault()
    router._maybe_fault()
    with pytest.raises(InjectedFault):
        router._maybe_fault()
    for _ in range(10):
        router._maybe_fault()


def test_the_guarded_agent_ends_the_process_on_error_and_the_unguarded_one_keeps_fausts_handler() -> None:
    guarded = create_app(_settings(), Options(public_base_url="http://gb"))
    agent = next(iter(guarded.agents.values()))
    assert agent._on_error is router_module._exit_on_agent_error
    unguarded = create_app(_settings(), Options(public_base_url="http://gb", unguarded=True))
    agent = next(iter(unguarded.agents.values()))
    assert agent._on_error == unguarded._on_agent_error  # faust's: it commits (transport/consumer.py on_task_error)


async def test_the_agent_error_handler_exits_without_awaiting_anything_first(
    _no_waiting_and_no_exit: list[str],
) -> None:
    with pytest.raises(HardExit):
        await router_module._exit_on_agent_error(None, RuntimeError("boom"))
    assert "RuntimeError: boom" in _no_waiting_and_no_exit[0]
