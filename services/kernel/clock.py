"""One clock: the county's day, in the county's time zone (``GB_COUNTY_TIME_ZONE``, Asia/Shanghai).

Commands take "today" from it (the day a rule judges "in the future" by), the deadline engine raises the
items of that day, and queries judge "as of today" by it. With three clocks — the UTC date, the engine's
Shanghai date and the server's local date — between 16:00 and 24:00 UTC the engine raised items for a day
whose commands were refused as being in the future.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from services.kernel.settings import load_settings


@cache
def county_zone(name: str | None = None) -> ZoneInfo:
    """The zone of ``name`` (default: this process's setting); an unknown name stops the process."""
    return ZoneInfo(name or load_settings().county_time_zone)


def county_day(moment: datetime, zone: ZoneInfo | None = None) -> date:
    """The county's day at ``moment`` (an aware datetime)."""
    return moment.astimezone(zone or county_zone()).date()


def today(zone: ZoneInfo | None = None) -> date:
    """The county's day now."""
    return county_day(datetime.now(UTC), zone)
