"""Hostile review of the read side and time (2026-12-02), the parts a unit can show: the development funnel measures
days in stage to the county's day, not the database's UTC one; a due-items cursor that is not one is a 422."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.gateway.api import development, organisations
from services.gateway.api.as_of import AsOf
from services.kernel import clock
from services.pure.errors import Problem
from services.pure.identity import Actor, Role

COUNTY = Actor(subject="admin", role=Role.COUNTY_ADMIN)


class Pool:
    """A read pool that answers nothing and keeps what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, tuple[Any, ...]]] = []

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        self.asked.append((sql, args))
        return []


async def test_the_funnel_measures_days_in_stage_to_the_county_s_day_not_the_database_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 00:30 on 3 December in the county is 16:30 on 2 December in UTC, the database's day (infra/postgres.py).
    monkeypatch.setattr(clock, "today", lambda zone=None: date(2026, 12, 3))
    pool = Pool()
    await development.funnel(actor=COUNTY, pool=pool, when=AsOf(), min_position=None, org_id=None, on=None)
    [(sql, args)] = pool.asked
    # Before the fix the day was None and the statement fell back on current_date: a day short in every stage.
    assert "current_date" not in sql.lower()
    assert date(2026, 12, 3) in args


@pytest.mark.parametrize("cursor", ["2026-02-30.interview_due.m-1", "0000-01-01.interview_due.m-1"])
def test_a_due_items_cursor_naming_no_day_of_the_calendar_is_a_problem_saying_what_to_do(cursor: str) -> None:
    with pytest.raises(Problem) as refused:
        organisations._after_item(cursor)
    assert refused.value.status == 422 and "next_cursor" in refused.value.detail


def test_a_due_items_cursor_names_the_last_item_of_its_page() -> None:
    assert organisations._after_item("2026-10-01.interview_due.3f2c-a.b:c") == (
        date(2026, 10, 1), "3f2c-a.b:c", "interview_due")
