"""One clock: the county's day in its own zone, for commands, the deadline engine and queries alike.

At 23:30 in Asia/Shanghai (15:30 UTC) it is still that day everywhere in the system; half an hour after
midnight there (16:30 UTC) it is the next day everywhere, although UTC's date has not changed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from infra.supervisor import settings_env
from services.kernel import clock
from services.kernel.clock import county_day, county_zone
from services.kernel.settings import Settings

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


#: Events dated by the real time on purpose: a token's issue and revocation, and a signed tree head, are checked
#: against the real time by others (the clock moves days, not security: services/kernel/clock.py).
REAL_TIME_ON_PURPOSE = {"services/gateway/token_registry.py", "services/auditlog/sequencer.py"}


def _moments_from_another_clock(path: Path) -> list[str]:
    """``occurred_at=datetime.now(…)``: an event dated by the real time rather than by ``clock.now()``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.keyword) and node.arg == "occurred_at" and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and func.attr in ("now", "utcnow") and isinstance(func.value, ast.Name) \
                    and func.value.id == "datetime":
                found.append(f"{path.relative_to(ROOT)}:{node.value.lineno}")
    return found


def test_every_event_the_services_store_is_dated_by_the_one_clock() -> None:
    """The deadline engine, the dues run and the policies that react to events date what they store by
    ``clock.now()``, as the command API does: with GB_CLOCK_AT a whole system then agrees on when things happened,
    not only on the day."""
    dated = [m for path in sorted((ROOT / "services").rglob("*.py"))
             if str(path.relative_to(ROOT)) not in REAL_TIME_ON_PURPOSE
             for m in _moments_from_another_clock(path)]
    assert dated == []
    assert all(_moments_from_another_clock(ROOT / p) for p in REAL_TIME_ON_PURPOSE), "the exceptions are still needed"


# --------------------------------------------------------------------------- GB_CLOCK_AT


@pytest.fixture
def clock_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Set GB_CLOCK_AT per test through the environment; the monotonic time is the list's one value."""
    ticks = [1000.0]
    monkeypatch.setattr(clock.time, "monotonic", lambda: ticks[0])
    clock._start.cache_clear()
    yield ticks
    clock._start.cache_clear()  # the next reader sees the real time again


def test_without_the_setting_the_clock_is_the_real_one(clock_at: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GB_CLOCK_AT", raising=False)
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)


def test_the_clock_starts_at_the_instant_and_runs_on_from_it(
    clock_at: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GB_CLOCK_AT", "2026-11-30T15:30:00Z")  # 23:30 in the county
    start = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
    assert clock.now() == start
    assert clock.today() == date(2026, 11, 30)
    clock_at[0] += 29 * 60 + 59
    assert clock.now() == start + timedelta(minutes=29, seconds=59)
    assert clock.today() == date(2026, 11, 30)
    clock_at[0] += 1  # midnight in the county, 16:00 UTC
    assert clock.now() == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert clock.today() == date(2026, 12, 1)


@pytest.mark.parametrize("value", [
    "2026-11-30T15:30:00Z", "2026-11-30t15:30:00z", "2026-11-30T23:30:00+08:00", "2026-11-30 15:30:00+00:00",
])
def test_the_instant_is_rfc_3339_with_its_offset(value: str) -> None:
    settings = Settings(environment="development", clock_at=value)
    assert settings.clock_instant == datetime(2026, 11, 30, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize("value", ["2026-11-30", "2026-11-30T15:30:00", "tomorrow", "2026-11-31T15:30:00Z"])
def test_a_malformed_instant_is_refused_saying_what_is_expected(value: str) -> None:
    with pytest.raises(ValueError, match="GB_CLOCK_AT must be an RFC 3339 instant with its offset") as refused:
        Settings(environment="development", clock_at=value)
    assert repr(value) in str(refused.value)


def test_the_setting_is_refused_outside_development() -> None:
    with pytest.raises(ValueError, match=r"GB_CLOCK_AT is for development and tests only \(GB_ENV=production\)"):
        Settings(environment="production", clock_at="2026-11-30T15:30:00Z")


def test_by_default_there_is_no_instant() -> None:
    assert Settings(environment="development", clock_at="").clock_instant is None


def test_a_process_the_runner_starts_gets_the_same_clock() -> None:
    """infra/supervisor.py hands each child its settings as GB_* variables, the clock's instant included."""
    assert settings_env(Settings(environment="development", clock_at="2026-11-30T15:30:00Z"))["GB_CLOCK_AT"] == \
        "2026-11-30T15:30:00Z"
    assert settings_env(Settings(environment="development"))["GB_CLOCK_AT"] == ""
