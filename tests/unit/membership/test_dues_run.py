"""The monthly run's own decision (services/membership/dues_run.py): the same rules as one AssessMonth command,
with the policies read once — an open account is assessed, a month already assessed or not yet owed is refused
(which is what makes a rerun append nothing twice), accounts are folded from a chunk's rows as a handler folds
them, and progress says how far the run is."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest

from services.kernel.events import encode
from services.membership import dues_run
from services.membership.contract.commands.dues import AssessMonth
from services.membership.contract.events import REGISTRY
from services.membership.contract.events.dues import MonthAssessed
from services.membership.domain import dues
from services.membership.domain.dues_policy import DEFAULT_DUES_POLICY
from services.membership.policy import DEFAULT_POLICIES
from services.pure.errors import Problem
from services.pure.policy_data import in_force
from tests.unit.membership.test_dues import KEEPERS, c, opening

RECORDING = in_force(DEFAULT_POLICIES, (), "membership", date(2025, 12, 31))
REASON = dues_run._reason(c(AssessMonth, month="2025-06", actor=dues_run.ENGINE), RECORDING)


def opened() -> list[Any]:
    return dues.decide(dues.INITIAL, opening(), policy=DEFAULT_DUES_POLICY, keepers=KEEPERS)


def assess(month: str) -> AssessMonth:
    command: AssessMonth = c(AssessMonth, month=month, actor=dues_run.ENGINE)
    return command


def test_an_open_account_is_assessed_as_one_command_would_assess_it() -> None:
    (event,) = dues_run._decide(_state(opened()), assess("2025-06"), DEFAULT_DUES_POLICY, REASON)
    assert isinstance(event, MonthAssessed)
    (alone,) = dues.decide(_state(opened()), assess("2025-06"), policy=DEFAULT_DUES_POLICY)
    assert (event.month, event.amount, event.policy_version) == (alone.month, alone.amount, alone.policy_version)


def _state(events: list[Any]) -> Any:
    state = dues.INITIAL
    for e in events:
        state = dues.evolve(state, e)
    return state


def test_a_month_already_assessed_is_refused_so_a_rerun_appends_nothing() -> None:
    first = dues_run._decide(_state(opened()), assess("2025-06"), DEFAULT_DUES_POLICY, REASON)
    with pytest.raises(Problem):
        dues_run._decide(_state([*opened(), *first]), assess("2025-06"), DEFAULT_DUES_POLICY, REASON)


def test_no_account_no_assessment() -> None:
    with pytest.raises(Problem):
        dues_run._decide(dues.INITIAL, assess("2025-06"), DEFAULT_DUES_POLICY, REASON)


def test_a_chunks_rows_are_folded_into_each_account_with_its_version_and_last_link() -> None:
    first = dues_run._decide(_state(opened()), assess("2025-06"), DEFAULT_DUES_POLICY, REASON)
    rows = [("dues-a", 1, "gb.membership.dues_account_opened.v1", encode(opened()[0]).decode(), b"a1", 9),
            ("dues-a", 2, "gb.membership.month_assessed.v1", encode(first[0]).decode(), b"a2", 9),
            ("dues-b", 1, "gb.membership.dues_account_opened.v1", encode(opened()[0]).decode(), b"b1", 9)]
    a, b = dues_run._accounts(REGISTRY, rows)
    assert (a.stream_id, a.version, a.last_hash, a.state) == ("dues-a", 2, b"a2", _state([*opened(), *first]))
    assert (b.stream_id, b.version, b.last_hash, b.state) == ("dues-b", 1, b"b1", _state(opened()))


def test_the_runs_policy_finds_each_months_scale_as_the_published_scales_do() -> None:
    policy = dues_run._RunPolicy(scales=DEFAULT_DUES_POLICY.scales)
    for month in ("2025-06", "2025-06", date(2026, 11, 1)):
        assert policy.scale_on(month) is DEFAULT_DUES_POLICY.scale_on(month)


def test_progress_says_how_far_how_fast_and_how_long_left(caplog: pytest.LogCaptureFixture) -> None:
    progress = dues_run._Progress("2025-06", 1000, assessed=240, skipped=10)
    with caplog.at_level(logging.INFO, logger="dues-run"):
        progress.tell(force=True)
    (line,) = [r.getMessage() for r in caplog.records]
    assert "250/1000 accounts (25%), 240 assessed, 10 skipped" in line
    assert "accounts/s, ETA" in line
