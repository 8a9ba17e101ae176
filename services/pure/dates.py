"""Calendar arithmetic and date checks: one definition each, used by every domain."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar

from services.pure.errors import DomainError
from services.pure.personal_text import in_words, not_personal

#: Days a command may name: a date outside them is a typo (year 0070, 9999), refused as a 422 before any rule
#: or policy look-up sees it (services/kernel/bodies.py ``Day``); the months a command may name are theirs.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)
_FIRST_MONTH, _LAST_MONTH = f"{FIRST_DAY:%Y-%m}", f"{LAST_DAY:%Y-%m}"
#: ``YYYY-MM`` in ASCII digits: ``\d`` would take any script's digits ("٢٠٢٦-01"), which ``int`` reads as 2026.
_YEAR_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def add_months(day: date, months: int) -> date:
    """Calendar months later (or earlier); the last day of a shorter month stands in for a missing day
    (31 Jan + 1 → 28/29 Feb; 29 Feb + 12 → 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def year_month(value: str, what: str) -> str:
    """The one reading of a ``YYYY-MM`` month a command names: without surrounding spaces, in ASCII digits, from
    1900-01 to 2100-12 (as a day may be: ``FIRST_DAY``, ``LAST_DAY``); anything else is refused naming ``what``.
    Every month arithmetic here (``first_day``, ``shift_month``) may then take it: year 0000 has no first day."""
    text = value.strip() if isinstance(value, str) else ""
    if not _YEAR_MONTH.fullmatch(text) or not _FIRST_MONTH <= text <= _LAST_MONTH:
        raise DomainError(f"{what} must be a year and month like 2026-07, from {_FIRST_MONTH} to {_LAST_MONTH}, "
                          f"not {value!r}")
    return text


def month_of(day: date) -> str:
    """The ``YYYY-MM`` month a day falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def shift_month(month: str, months: int) -> str:
    """A ``YYYY-MM`` month ``months`` later (or earlier)."""
    years, index = divmod(int(month[:4]) * 12 + int(month[5:7]) - 1 + months, 12)
    return f"{years:04d}-{index + 1:02d}"


def first_day(month: str) -> date:
    """The first day of a ``YYYY-MM`` month."""
    return date(int(month[:4]), int(month[5:7]), 1)


def months_from(start: str, end: str) -> list[str]:
    """Every ``YYYY-MM`` month from ``start`` to ``end`` inclusive (empty when ``end`` is before ``start``)."""
    out: list[str] = []
    month = start
    while month <= end:
        out.append(month)
        month = shift_month(month, 1)
    return out


def latest(*days: date | None) -> date | None:
    """The latest of the known days, or None when none is known."""
    known = [d for d in days if d is not None]
    return max(known) if known else None


def not_future(day: date, today: date, what: str) -> None:
    """A fact is recorded on or after the day it happened."""
    if day > today:
        raise DomainError(f"{what} {day} is in the future (today is {today}); record it on or after the day "
                          "it happens")


def check_date(day: date, today: date, what: str, *, not_before: date | None = None, earlier: str = "") -> None:
    """A step is dated on or before today and not before the step it follows."""
    not_future(day, today, what)
    if not_before is not None and day < not_before:
        raise DomainError(f"{what} {day} is before {earlier} on {not_before}; check the date")


def days_late(day: date, today: date) -> int:
    """How many days after the fact's own day it is being recorded (0 on the day itself)."""
    return (today - day).days


def check_effective(
    day: date, today: date, what: str, *, limit_days: int, reason: str | None, archive_before: date | None = None
) -> str | None:
    """The one rule for a command's effective date against the day it is recorded (two time axes).

    A fact is dated on the day it took effect, which may be before the day it is entered (``today``):
    - never in the future;
    - a fact dated before ``archive_before`` (the county's first day of records in the system) is taken
      over from the paper archive: neither the limit nor a reason applies to it;
    - otherwise a backdated fact (day < today) needs a non-blank ``reason`` and may be at most
      ``limit_days`` days old; the day ``limit_days`` back is still admitted, the day before it is not.

    Returns the reason to record on the events (stripped), or None when the fact is dated today or was
    taken over without one.
    """
    not_future(day, today, what)
    clean = (reason or "").strip() or None
    if day == today:
        return None
    if archive_before is not None and day < archive_before:
        return clean
    late = days_late(day, today)
    if late > limit_days:
        raise DomainError(
            f"{what} {day} is {late} days before today ({today}); facts may be recorded at most {limit_days} days "
            f"after the day they took effect (backdating_limit_days) — check the date",
            errors=[{"field": what, "message": f"more than {limit_days} days in the past"}],
        )
    if clean is None:
        raise DomainError(
            f"{what} {day} is before today ({today}): a fact recorded after the day it took effect needs a "
            "backdating_reason saying why it is entered late",
            errors=[{"field": "backdating_reason", "message": f"required when {what} is before today"}],
        )
    return clean


@dataclass(frozen=True, kw_only=True)
class RecordedLate:
    """What every event carries of the recording axis: why its fact was entered after the day it took effect.

    None when the fact was recorded on its day (or taken over from the archive without one). The time it
    was recorded is the store's (``recorded_at``), never copied into the event."""

    backdating_reason: str | None = None


E = TypeVar("E")


def effective_on(command: Any) -> date:
    """The day a command's fact took effect: its first effective date (``effective_dates``), else today."""
    names: tuple[str, ...] = getattr(type(command), "effective_dates", ())
    day: date | None = getattr(command, names[0]) if names else None
    today: date = command.today
    return day or today


def recording_reason(command: Any, *, limit_days: int, archive_before: date | None) -> str | None:
    """``check_effective`` on each effective date a command declares (an omitted optional one is today);
    the backdating reason to record on its events, or None."""
    reason: str | None = getattr(command, "backdating_reason", None)
    if reason:  # recorded on every event of the command, in clear
        not_personal(reason, "backdating_reason", instead=in_words("why the fact is recorded late"))
    recorded: str | None = None
    for name in getattr(type(command), "effective_dates", ()):
        day: date | None = getattr(command, name)
        if day is not None:
            recorded = check_effective(day, command.today, name, limit_days=limit_days, reason=reason,
                                       archive_before=archive_before) or recorded
    return recorded


def noted(events: Sequence[E], reason: str | None) -> list[E]:
    """The events with the backdating reason recorded on each (the events of one command share its reason)."""
    if reason is None:
        return list(events)
    return [replace(e, backdating_reason=reason) if isinstance(e, RecordedLate) else e
            for e in events]
