"""Calendar arithmetic and date checks: one definition each, used by every domain."""

from __future__ import annotations

import calendar
from datetime import date

from services.pure.errors import DomainError


def add_months(day: date, months: int) -> date:
    """Calendar months later (or earlier); the last day of a shorter month stands in for a missing day
    (31 Jan + 1 → 28/29 Feb; 29 Feb + 12 → 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


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
