"""One clock: the county's day, in the county's time zone (``GB_COUNTY_TIME_ZONE``, Asia/Shanghai).

Commands take "today" from it (the day a rule judges "in the future" by), the deadline engine raises the
items of that day, and queries judge "as of today" by it. With three clocks — the UTC date, the engine's
Shanghai date and the server's local date — between 16:00 and 24:00 UTC the engine raised items for a day
whose commands were refused as being in the future.

Every reading goes through ``now()``. In development and tests ``GB_CLOCK_AT`` (an RFC 3339 instant) starts
it at that instant, and it runs on from there with the real time: so a whole running system — commands,
engine and queries — can be put at 23:30 in the county and shown to agree on the day, whatever the real
time is. A setting rather than a fake injected per call, because the agreement to show is between
separate processes; refused outside development (services/kernel/settings.py), so production runs on the
real time only. It moves days, not security: tokens, signed credentials and webhook signatures keep the
real time (they are checked against the real time by others).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from services.kernel.settings import load_settings


@cache
def county_zone(name: str | None = None) -> ZoneInfo:
    """The zone of ``name`` (default: this process's setting); an unknown name stops the process."""
    return ZoneInfo(name or load_settings().county_time_zone)


@cache
def _start() -> tuple[datetime, float] | None:
    """GB_CLOCK_AT and the monotonic time of the first reading, or None when the clock is the real one."""
    at = load_settings().clock_instant
    return None if at is None else (at, time.monotonic())


def now() -> datetime:
    """The instant now (aware, UTC): the real time, or GB_CLOCK_AT plus the time elapsed since this
    process first read the clock."""
    start = _start()
    if start is None:
        return datetime.now(UTC)
    at, began = start
    return at + timedelta(seconds=time.monotonic() - began)


def county_day(moment: datetime, zone: ZoneInfo | None = None) -> date:
    """The county's day at ``moment`` (an aware datetime)."""
    return moment.astimezone(zone or county_zone()).date()


def today(zone: ZoneInfo | None = None) -> date:
    """The county's day now."""
    return county_day(now(), zone)
