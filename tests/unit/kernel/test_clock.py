"""One clock: the county's day in its own zone, for commands, the deadline engine and queries alike.

At 23:30 in Asia/Shanghai (15:30 UTC) it is still that day everywhere in the system; half an hour after
midnight there (16:30 UTC) it is the next day everywhere, although UTC's date has not changed.
"""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.kernel.clock import county_day, county_zone

ROOT = Path(__file__).resolve().parents[3]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("utc", "day"), [
    (datetime(2026, 11, 30, 15, 30, tzinfo=UTC), date(2026, 11, 30)),  # 23:30 in the county
    (datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC), date(2026, 11, 30)),
    (datetime(2026, 11, 30, 16, 0, tzinfo=UTC), date(2026, 12, 1)),  # midnight in the county
    (datetime(2026, 11, 30, 16, 30, tzinfo=UTC), date(2026, 12, 1)),  # UTC still says 30 November
    (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), date(2027, 1, 1)),
])
def test_the_county_day_turns_at_the_countys_midnight(utc: datetime, day: date) -> None:
    assert county_day(utc, SHANGHAI) == day


def test_the_default_zone_is_the_countys() -> None:
    assert county_zone("Asia/Shanghai") == SHANGHAI
    assert str(county_zone()) == "Asia/Shanghai"  # the setting's default (GB_COUNTY_TIME_ZONE)


def _day_reads(path: Path) -> list[str]:
    """Calls that read a day from another clock: date.today(), datetime.now(…).date(), x.date() on a moment."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, owner = node.func.attr, node.func.value
            if name == "today" and isinstance(owner, ast.Name) and owner.id in ("date", "datetime"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {owner.id}.today()")
            elif name == "date" and not node.args and not isinstance(owner, ast.Name):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} .date()")
    return found


def test_nothing_in_the_services_reads_the_day_from_another_clock() -> None:
    """Commands (the command API), the deadline engine, the policies and the queries take the day from
    services/kernel/clock.py only."""
    reads = [r for path in sorted((ROOT / "services").rglob("*.py")) if path.name != "clock.py"
             for r in _day_reads(path)]
    assert reads == []
