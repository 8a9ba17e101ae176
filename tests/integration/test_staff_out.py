"""The 5 % report counts the staff out on a day where the read model stores them (readmodels/secondments.py
``staff_out``, one GROUP BY) — it must count exactly the periods the domain rule counts (``SecondmentPeriod.covers``,
a period through its last day inclusive), on the real PostgreSQL of ``./gb test``."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import date, timedelta

import asyncpg
import pytest

from services.gateway.readmodels import secondments
from services.kernel.settings import Settings
from services.secondment.contract.events import Route
from services.secondment.contract.values import SecondmentPeriod, staff_out
from tests.conftest import fresh_database

FIRST = date(2024, 1, 1)


@pytest.fixture(scope="module")
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(await fresh_database(settings, "staff_out_test"), min_size=1, max_size=2)
    await pool.execute(secondments.DDL.format(schema="public"))
    yield pool
    await pool.close()


def _periods(rng: random.Random, count: int) -> list[SecondmentPeriod]:
    out = []
    for i in range(count):
        departed = FIRST + timedelta(days=rng.randrange(60))
        last_day = None if rng.random() < 0.4 else departed + timedelta(days=rng.randrange(40))
        out.append(SecondmentPeriod(secondment_id=f"s{i}", cadre_id=f"c{i}", unit_id=f"u{i % 5}",
                                    township_id=f"t{i % 3}", route=rng.choice(list(Route)), departed_on=departed,
                                    last_day=last_day))
    return out


async def test_the_read_model_counts_the_periods_the_rule_counts(pool: asyncpg.Pool) -> None:
    periods = _periods(random.Random(14), 400)
    await pool.execute("TRUNCATE secondments_view")
    await pool.copy_records_to_table(
        "secondments_view",
        columns=("secondment_id", "cadre_id", "unit_id", "township_id", "route", "stage", "placement",
                 "nominated_on", "departed_on", "last_day", "position"),
        records=[(p.secondment_id, p.cadre_id, p.unit_id, p.township_id, p.route.value, "out", "{}",
                  p.departed_on, p.departed_on, p.last_day, n) for n, p in enumerate(periods)])
    # Nominated but never departed: no period at all.
    await pool.execute("INSERT INTO secondments_view (secondment_id, cadre_id, unit_id, township_id, route, stage,"
                       " placement, nominated_on, position) VALUES ('n', 'c', 'u0', 't0', 'self_found', 'nominated',"
                       " '{}', $1, 999)", FIRST)
    # Every day from before the first departure to after the last return: first and last days included.
    for day in (FIRST + timedelta(days=d) for d in range(-1, 102)):
        assert await secondments.staff_out(pool, None, day) == staff_out(periods, day), day
        assert await secondments.staff_out(pool, "t1", day) == staff_out(
            [p for p in periods if p.township_id == "t1"], day), day
    assert any(staff_out(periods, FIRST + timedelta(days=d)) for d in range(100))
