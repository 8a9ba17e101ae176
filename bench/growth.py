"""Benchmark part "growth" (issue 14 item 5): how cost grows with the data.

(a) Rebuild: the event topics are topped up to the largest point (1 M events by default) by appending
    BranchEstablished straight into gb_membership (the kernel store, published by the relay — as the
    rebuild part does), then one `projector --rebuild` runs while we count the rows of its
    applied_events: the time at which it had applied 10 k, 100 k and 1 M events is the curve.
(b) The 5 % report (services/gateway/api/secondments.py targets_on, the query of
    GET /v1/reports/secondment-targets) in process on a scratch database whose read-model tables are
    filled by COPY with one secondment per 4 events (nominated, approved, started, returned), 400 units.
(c) List queries at a province-sized dataset: 1 M members in 5,000 branches COPYed into members_view and
    branches_view of the same scratch database; p99 of GET /v1/members (a page, one branch's roster) and
    GET /v1/branches (a page, one township's) — the read-model functions the endpoints call — with the
    current DDL, then again with the DDL before issue 14 (BEFORE) for the same-run comparison, and
    EXPLAIN (ANALYZE, BUFFERS) of each into bench/results/growth-plans.md.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg

from bench import system
from bench.common import drop_database, percentile, recreate_database, say
from services.gateway.api.secondments import targets_on
from services.gateway.readmodels import PROJECTION
from services.gateway.readmodels import branches as branches_rm
from services.gateway.readmodels import members as members_rm
from services.kernel.projection import install
from services.kernel.settings import Settings
from services.system import READ_MODEL_DATABASE

DATABASE = "gb_bench_growth"
POINTS = (10_000, 100_000, 1_000_000)
MEMBERS, BRANCHES, TOWNSHIPS = 1_000_000, 5_000, 20
PAGE = 51  # the API asks one more than its default page of 50 to know whether a page follows
#: The read-model definitions before issue 14 item 5, restored for the same-run "before" figures.
BEFORE = """
DROP INDEX IF EXISTS members_view_org_member;
DROP INDEX IF EXISTS branches_view_home;
CREATE INDEX IF NOT EXISTS members_view_org ON members_view (formal_org_id);
CREATE OR REPLACE VIEW branches_with_counts AS
SELECT b.*, coalesce(c.members, 0) AS members, coalesce(c.members_away, 0) AS members_away
  FROM branches_view b
  LEFT JOIN (SELECT formal_org_id, count(*) AS members, count(*) FILTER (WHERE away) AS members_away
               FROM members_view GROUP BY formal_org_id) c ON c.formal_org_id = b.branch_id;
"""


async def measure(settings: Settings, max_events: int, results_dir: Path) -> dict[str, Any]:
    points = [p for p in POINTS if p <= max_events]
    out: dict[str, Any] = {"points": points}
    out["report"] = await report_curve(settings, points)
    out["queries"] = await list_queries(settings, results_dir)
    out["rebuild"] = await rebuild_curve(settings, points)
    out["plots"] = plot(out, results_dir)
    return out


# --- (a) the rebuild -------------------------------------------------------------------------------

async def rebuild_curve(settings: Settings, points: list[int]) -> dict[str, Any]:
    before = await system.topic_events(settings)
    need = max(points) - before
    load: dict[str, Any] = {"events": 0}
    if need > 0:
        say(f"growth: topping the topics up from {before:,} to {max(points):,} events…")
        load = await system.load_membership_events(settings, need)
        load.update(await system.wait_caught_up(settings, "relay and projector after the growth load"))
    samples: list[tuple[float, int]] = []
    done = asyncio.Event()

    async def sampler() -> None:
        conn = await asyncpg.connect(settings.dsn(READ_MODEL_DATABASE))
        try:
            while not done.is_set():
                try:
                    n = await conn.fetchval(f'SELECT count(*) FROM "{system.REBUILD_SCHEMA}".applied_events')
                    samples.append((time.perf_counter(), n))
                except asyncpg.UndefinedTableError:
                    pass
                await asyncio.sleep(0.2)
        finally:
            await conn.close()

    async def rebuild() -> dict[str, Any]:
        try:
            return await system.rebuild(settings)
        finally:
            done.set()

    result, _ = await asyncio.gather(rebuild(), sampler())
    # From the projector's start: system.rebuild first waits for the other consumers to settle (minutes after a
    # million events), which is not the rebuild's time.
    started = result["started_at"]
    curve = []
    for p in points:
        first = next(((t - started, n) for t, n in samples if n >= p), None)
        if first is None and result["events_applied"] >= p:
            first = (result["wall_seconds"], result["events_applied"])
        if first is not None:
            curve.append({"events": p, "seconds": round(first[0], 2), "events_per_s": round(p / first[0])})
    reached = ", ".join(f"{c['events']:,} in {c['seconds']} s" for c in curve)
    say(f"growth: rebuild reached {reached}")
    return {"load": load, "total": result, "curve": curve, "sample_interval_s": 0.2}


# --- the scratch database ----------------------------------------------------------------------------

async def _scratch(settings: Settings) -> asyncpg.Pool:
    await recreate_database(settings.admin_dsn, DATABASE)
    pool = await asyncpg.create_pool(settings.dsn(DATABASE.removeprefix("gb_")), min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await install(conn, PROJECTION, "public")
    return pool


def _township(i: int) -> str:
    return f"township-{i % TOWNSHIPS:02d}"


async def _fill_secondments(conn: asyncpg.Connection, count: int) -> None:
    await conn.execute("TRUNCATE units_view, unit_headcounts, secondments_view")
    units = [(f"unit-{i:03d}", _township(i), f"单位{i}", ("organ", "station")[i % 2], i) for i in range(400)]
    await conn.copy_records_to_table("units_view", records=units,
                                     columns=("unit_id", "township_id", "name", "kind", "position"))
    await conn.copy_records_to_table(
        "unit_headcounts", columns=("unit_id", "effective_from", "headcount", "position"),
        records=[(u[0], date(2024, 1, 1), 40 + i % 60, i) for i, u in enumerate(units)])
    rng = random.Random(5)
    rows = []
    for i in range(count):
        unit = units[rng.randrange(len(units))]
        departed = date(2023 + rng.randrange(4), 1 + rng.randrange(12), 1 + rng.randrange(28))
        returned = rng.random() < 0.5
        last_day = date(min(departed.year + 2, 2026), departed.month, departed.day) if returned else None
        rows.append((f"sec-{i:07d}", f"cadre-{i:07d}", unit[0], unit[1], ("self_found", "organisational")[i % 2],
                     "returned" if returned else "out", "{}", departed, departed, last_day, i))
    await conn.copy_records_to_table(
        "secondments_view", records=rows,
        columns=("secondment_id", "cadre_id", "unit_id", "township_id", "route", "stage", "placement",
                 "nominated_on", "departed_on", "last_day", "position"))
    await conn.execute("VACUUM ANALYZE units_view, unit_headcounts, secondments_view")


async def _timed(call: Any, n: int) -> dict[str, Any]:
    seconds = []
    for _ in range(n):
        t0 = time.perf_counter()
        await call()
        seconds.append(time.perf_counter() - t0)
    ms = [s * 1000 for s in seconds]
    return {"n": n, "p50_ms": round(statistics.median(ms), 2), "p99_ms": round(percentile(ms, 99), 2),
            "max_ms": round(max(ms), 2)}


# --- (b) the 5 % report ------------------------------------------------------------------------------

async def report_curve(settings: Settings, points: list[int]) -> dict[str, Any]:
    pool = await _scratch(settings)
    curve = []
    try:
        for events in points:
            secondments = events // 4
            async with pool.acquire() as conn:
                await _fill_secondments(conn, secondments)
            county = await _timed(lambda: targets_on(pool, year=2026, as_of=date(2026, 11, 24), on=None,
                                                     township=None), 5)
            one = await _timed(lambda: targets_on(pool, year=2026, as_of=date(2026, 11, 24), on=None,
                                                  township=_township(3)), 20)
            curve.append({"events": events, "secondments": secondments, "county": county, "township": one})
            say(f"growth: 5 % report at {events:,} events ({secondments:,} secondments): county-wide p50 "
                f"{county['p50_ms']} ms, one township p50 {one['p50_ms']} ms")
    finally:
        await pool.close()
        await drop_database(settings.admin_dsn, DATABASE)
    return {"curve": curve, "data": "rows COPYed into units_view, unit_headcounts and secondments_view"}


# --- (c) list queries at 1 M members -----------------------------------------------------------------

async def _fill_members(conn: asyncpg.Connection) -> list[str]:
    branch_ids = sorted(f"branch-{uuid.uuid4().hex[:12]}" for _ in range(BRANCHES))
    await conn.copy_records_to_table(
        "branches_view",
        columns=("branch_id", "name", "founding_basis", "build_mode", "home_org_id", "host_guidance_org",
                 "destination", "industry", "established_on", "covered_units", "position"),
        records=[(b, f"支部{i}", "region", "independent", _township(i), "host", "广东省深圳市", "制造业",
                  date(2025, 1, 1), "[]", i) for i, b in enumerate(branch_ids)])
    rng = random.Random(14)
    batch = 100_000
    for start in range(0, MEMBERS, batch):
        await conn.copy_records_to_table(
            "members_view",
            columns=("member_id", "name", "national_id", "formal_org_id", "status", "contact", "joined_on",
                     "away", "position"),
            records=[(uuid.uuid4().hex, "党员", "110***********123X", branch_ids[rng.randrange(BRANCHES)], "full",
                      '{"phone": "*******1234"}', date(2010, 7, 1), rng.random() < 0.3, start + i)
                     for i in range(min(batch, MEMBERS - start))])
    await conn.execute("VACUUM ANALYZE members_view, branches_view")
    return branch_ids


def _queries(pool: asyncpg.Pool, branch_ids: list[str]) -> dict[str, tuple[Any, str, list[Any]]]:
    """name → (the read-model call the endpoint makes, its SQL for EXPLAIN, and that SQL's arguments)."""
    rng = random.Random(1)
    members_sql = ("SELECT * FROM members_view WHERE ($1::text IS NULL OR member_id > $1)"
                   " AND ($2::text[] IS NULL OR formal_org_id = ANY($2)) AND ($3::bool IS NULL OR away = $3)"
                   " AND ($4::text IS NULL OR outflow->>'destination' = $4) ORDER BY member_id LIMIT $5")
    branches_sql = ("SELECT * FROM branches_with_counts WHERE ($1::text IS NULL OR branch_id > $1)"
                    " AND ($2::text IS NULL OR destination = $2) AND ($3::text IS NULL OR founding_basis = $3)"
                    " AND ($4::text IS NULL OR build_mode = $4) AND ($5::text IS NULL OR home_org_id = $5)"
                    " ORDER BY branch_id LIMIT $6")
    return {
        "GET /v1/members (first page)": (
            lambda: members_rm.members(pool, after=None, org_ids=None, away=None, destination=None, limit=PAGE),
            members_sql, [None, None, None, None, PAGE]),
        "GET /v1/members?org_id=<branch> (a branch's roster)": (
            lambda: members_rm.members(pool, after=None, org_ids=[rng.choice(branch_ids)], away=None,
                                       destination=None, limit=PAGE),
            members_sql, [None, [branch_ids[7]], None, None, PAGE]),
        "GET /v1/branches (first page, with member counts)": (
            lambda: branches_rm.branches(pool, after=None, destination=None, founding_basis=None, build_mode=None,
                                         home_org_id=None, limit=PAGE),
            branches_sql, [None, None, None, None, None, PAGE]),
        "GET /v1/branches?home_org_id=<township>": (
            lambda: branches_rm.branches(pool, after=None, destination=None, founding_basis=None, build_mode=None,
                                         home_org_id=_township(rng.randrange(TOWNSHIPS)), limit=PAGE),
            branches_sql, [None, None, None, None, _township(3), PAGE]),
        "GET /v1/branches/{id}": (lambda: branches_rm.branch(pool, rng.choice(branch_ids)),
                                  "SELECT * FROM branches_with_counts WHERE branch_id = $1", [branch_ids[9]]),
    }


async def _round(pool: asyncpg.Pool, branch_ids: list[str], n: int) -> tuple[dict[str, Any], list[str]]:
    figures, plans = {}, []
    for name, (call, sql, params) in _queries(pool, branch_ids).items():
        await call()  # warm the cache: the figures are for a server in use, not a cold start
        figures[name] = await _timed(call, n)
        plan = await pool.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *params)
        plans += [f"### {name}", "", "```", *(r[0] for r in plan), "```", ""]
    return figures, plans


async def list_queries(settings: Settings, results_dir: Path) -> dict[str, Any]:
    pool = await _scratch(settings)
    try:
        async with pool.acquire() as conn:
            say(f"growth: COPYing {MEMBERS:,} members in {BRANCHES:,} branches…")
            t0 = time.perf_counter()
            branch_ids = await _fill_members(conn)
            say(f"growth: loaded in {time.perf_counter() - t0:.1f} s")
        after, after_plans = await _round(pool, branch_ids, 200)
        async with pool.acquire() as conn:
            await conn.execute(BEFORE)
            await conn.execute("VACUUM ANALYZE members_view, branches_view")
        before, before_plans = await _round(pool, branch_ids, 30)
    finally:
        await pool.close()
        await drop_database(settings.admin_dsn, DATABASE)
    for name in after:
        say(f"growth: {name}: p99 {after[name]['p99_ms']} ms (before: {before[name]['p99_ms']} ms)")
    (results_dir / "growth-plans.md").write_text("\n".join([
        "# Query plans at 1 M members, 5,000 branches (bench/growth.py)", "",
        "## After (the read-model DDL of this commit)", "", *after_plans,
        "## Before (the DDL before issue 14 item 5: members_view (formal_org_id) only, counts for every branch)", "",
        *before_plans]))
    return {"members": MEMBERS, "branches": BRANCHES, "after": after, "before": before,
            "data": "rows COPYed into members_view and branches_view", "plans": "growth-plans.md"}


# --- the curves ---------------------------------------------------------------------------------------

def plot(out: dict[str, Any], results_dir: Path) -> list[str]:
    import matplotlib
    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    written = []
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
    rb = out["rebuild"]["curve"]
    ax[0].plot([c["events"] for c in rb], [c["seconds"] for c in rb], "o-", label="rebuild (projector --rebuild)")
    rp = out["report"]["curve"]
    ax[1].plot([c["events"] for c in rp], [c["county"]["p50_ms"] for c in rp], "o-", label="county-wide, p50")
    ax[1].plot([c["events"] for c in rp], [c["township"]["p50_ms"] for c in rp], "s-", label="one township, p50")
    for a, title, unit in ((ax[0], "Rebuild: time to apply the first N events", "seconds"),
                           (ax[1], "5 % report (secondment targets)", "ms")):
        a.set_xscale("log")
        a.set_yscale("log")
        a.set_xlabel("events")
        a.set_ylabel(unit)
        a.set_title(title)
        a.grid(True, which="both", alpha=0.3)
        a.legend()
    fig.tight_layout()
    fig.savefig(results_dir / "growth-rebuild-report.svg")
    written.append("growth-rebuild-report.svg")
    plt.close(fig)

    q = out["queries"]
    names = list(q["after"])
    fig, a = plt.subplots(figsize=(11, 4.2))
    ys = range(len(names))
    a.barh([y + 0.2 for y in ys], [q["before"][n]["p99_ms"] for n in names], height=0.4, label="before")
    a.barh([y - 0.2 for y in ys], [q["after"][n]["p99_ms"] for n in names], height=0.4, label="after")
    a.set_yticks(list(ys), names)
    a.set_xscale("log")
    a.set_xlabel("p99, ms (log)")
    a.set_title(f"List queries at {q['members']:,} members, {q['branches']:,} branches")
    a.legend()
    fig.tight_layout()
    fig.savefig(results_dir / "growth-queries.svg")
    written.append("growth-queries.svg")
    plt.close(fig)
    (results_dir / "growth.json").write_text(json.dumps(out, indent=1, default=str))
    return written


def note(out: dict[str, Any]) -> str:
    return (
        "Growth (bench/growth.py): (a) rebuild — the topics topped up to "
        f"{max(out['points']):,} events by appends straight into gb_membership (kernel store, published by the "
        "relay), then one `projector --rebuild`, its applied_events counted every 0.2 s: the time at which it had "
        "applied N events (Python start-up included). (b) 5 % report — targets_on in process (the query of "
        "GET /v1/reports/secondment-targets, year-end 2026) on a scratch database, rows COPYed into the read "
        "models: one secondment per 4 events, 400 units in 20 townships; county-wide p50 of 5 calls, one township "
        f"of 20. (c) list queries — {out['queries']['members']:,} members in {out['queries']['branches']:,} "
        "branches COPYed into members_view and branches_view; the read-model functions the endpoints call, 200 "
        "calls after one warm-up (before: 30); plans in growth-plans.md; curves in "
        + ", ".join(out["plots"]) + ".")
