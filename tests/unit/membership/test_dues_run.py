"""The monthly run's own decision (services/membership/dues_run.py): the same rules as one AssessMonth command,
with the policies read once — an open account is assessed, a month already assessed or not yet owed is refused
(which is what makes a rerun append nothing twice), and progress says how far the run is."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.kernel.events import Envelope
from services.kernel.store import RecordedEvent, Stream
from services.membership import dues_run
from services.membership.contract.commands.dues import AssessMonth
from services.membership.contract.events.dues import MonthAssessed
from services.membership.domain import dues
from services.membership.domain.dues_policy import DEFAULT_DUES_POLICY
from services.membership.policy import DEFAULT_POLICIES
from services.pure.errors import Problem
from services.pure.policy_data import in_force
from tests.unit.membership.test_dues import MEMBER, c, opening

RECORDING = in_force(DEFAULT_POLICIES, (), "membership", date(2025, 12, 31))


def stream(*events: Any) -> Stream[Any]:
    """The account's stream as the store would load it."""
    recorded = [RecordedEvent(envelope=Envelope(
        id=uuid.uuid4(), source="membership", type="t", time=datetime.now(UTC), subject=dues.stream_id(MEMBER),
        stream_id=dues.stream_id(MEMBER), stream_type="dues", stream_version=v, actor="a", correlation_id="c",
        causation_id=None, data=b"{}", prev_hash=None, hash=b""), event=e) for v, e in enumerate(events, start=1)]
    return Stream(stream_id=dues.stream_id(MEMBER), version=len(recorded), events=recorded)


def opened() -> list[Any]:
    return dues.decide(dues.INITIAL, opening(), policy=DEFAULT_DUES_POLICY)


def assess(month: str) -> AssessMonth:
    command: AssessMonth = c(AssessMonth, month=month, actor=dues_run.ENGINE)
    return command


def test_an_open_account_is_assessed_as_one_command_would_assess_it() -> None:
    (event,) = dues_run._decide(stream(*opened()), assess("2025-06"), DEFAULT_DUES_POLICY, RECORDING)
    assert isinstance(event, MonthAssessed)
    (alone,) = dues.decide(_state(opened()), assess("2025-06"), policy=DEFAULT_DUES_POLICY)
    assert (event.month, event.amount, event.policy_version) == (alone.month, alone.amount, alone.policy_version)


def _state(events: list[Any]) -> Any:
    state = dues.INITIAL
    for e in events:
        state = dues.evolve(state, e)
    return state


def test_a_month_already_assessed_is_refused_so_a_rerun_appends_nothing() -> None:
    first = dues_run._decide(stream(*opened()), assess("2025-06"), DEFAULT_DUES_POLICY, RECORDING)
    with pytest.raises(Problem):
        dues_run._decide(stream(*opened(), *first), assess("2025-06"), DEFAULT_DUES_POLICY, RECORDING)


def test_no_account_no_assessment() -> None:
    with pytest.raises(Problem):
        dues_run._decide(stream(), assess("2025-06"), DEFAULT_DUES_POLICY, RECORDING)


def test_progress_says_how_far_how_fast_and_how_long_left(caplog: pytest.LogCaptureFixture) -> None:
    progress = dues_run._Progress("2025-06", 1000, assessed=240, skipped=10)
    with caplog.at_level(logging.INFO, logger="dues-run"):
        progress.tell(force=True)
    (line,) = [r.getMessage() for r in caplog.records]
    assert "250/1000 accounts (25%), 240 assessed, 10 skipped" in line
    assert "accounts/s, ETA" in line
