"""The monthly run refuses a month it could only skip: `./gb dues-run --month 2026-13` (or `abc`, or a month not yet
begun) skipped every account and said "done" — an operator's typo reported as a run."""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import date
from typing import Any

import pytest

from services.membership import dues_run
from services.pure.errors import DomainError


@pytest.mark.parametrize("month", ["2026-13", "abc", "2026-1", "26-11", "2026-00", "２０２６-１１"])
async def test_a_month_that_is_none_is_refused_before_any_account_is_read(month: str) -> None:
    store: Any = None  # never reached: the month is refused first
    with pytest.raises(DomainError, match="a year and month like 2026-07"):
        await dues_run.run_month(store, month, date(2026, 11, 24))
    with pytest.raises(argparse.ArgumentTypeError, match="--month must be a year and month"):
        dues_run._month(month)


async def test_a_month_not_yet_begun_is_refused() -> None:
    store: Any = None
    with pytest.raises(DomainError, match="2026-12 has not begun on 2026-11-24"):
        await dues_run.run_month(store, "2026-12", date(2026, 11, 24))


def test_the_command_line_says_what_to_type_and_exits_2() -> None:
    run = subprocess.run([sys.executable, "-m", "services.membership.dues_run", "--month", "2026-13"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "--month must be a year and month like 2026-07" in run.stderr, run.stderr
