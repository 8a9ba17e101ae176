"""The membership handlers' look-ups by an event's content read their partial indexes, never every event of the type
(services/membership/event_indexes.py): establishing a branch once scanned every branch ever established, most of
PostgreSQL's CPU per command in the benchmark. With sequential scans priced out the planner takes an index only if
the statement repeats its expression and predicate; asked as asyncpg asks (a prepared statement, its generic plan
after five runs) and with the value written in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.kernel.settings import Settings
from services.kernel.store import schema_sql
from services.membership import event_indexes
from tests.conftest import fresh_database

_EVENTS = f"""
INSERT INTO events (event_id, stream_id, stream_type, version, type, data, occurred_at, actor, correlation_id, hash)
SELECT gen_random_uuid(), kind || '-' || n, kind, 1, type, data::json, now(), 'test', 'test', '\\x00'
  FROM generate_series(1, 300) AS n, LATERAL (VALUES
    ('branch', '{event_indexes.BRANCH_ESTABLISHED}',
     json_build_object('home_org_id', 'org-' || n, 'parent_id', 'org-' || n, 'host_org_id', 'host-' || n)::text),
    ('dues', '{event_indexes.DUES_PAID}',
     json_build_object('org_id', 'org-' || n, 'receiving_org_id', 'org-' || n)::text),
    ('meeting', '{event_indexes.MEETING_RECORDED}',
     json_build_object('held_on', '2026-01-01', 'present_ids', json_build_array('m-' || n),
                       'certificate_holders_present', json_build_array())::text),
    ('member', 'gb.membership.member_registered.v1', '{{}}')) AS e(kind, type, data)
"""


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(await fresh_database(settings, "membership_event_index_plans"))
    try:
        await conn.execute(schema_sql())
        await conn.execute(event_indexes.INDEXES)
        # A few hundred events of each type, for plans as a store with records gets them.
        await conn.execute(_EVENTS)
        await conn.execute("ANALYZE events")
        await conn.execute("SET enable_seqscan = off")
        yield conn
    finally:
        await conn.close()


async def _plan(store: asyncpg.Connection, plan_cache_mode: str, types: str, statement: str, args: str) -> str:
    """``statement``'s plan as asyncpg would run it (prepared; generic or custom as ``plan_cache_mode`` says)."""
    await store.execute(f"SET plan_cache_mode = {plan_cache_mode}")
    await store.execute(f"PREPARE look_up ({types}) AS {statement}")
    try:
        return "\n".join(r[0] for r in await store.fetch(f"EXPLAIN EXECUTE look_up({args})"))
    finally:
        await store.execute("DEALLOCATE look_up")


def _probed_by_condition(plan: str, index: str) -> None:
    """``index`` read by its condition, not read whole (a whole partial index is every event of the type, a scan in
    all but name)."""
    lines = plan.splitlines()
    at = [n for n, line in enumerate(lines) if f" {index} " in f"{line} "]
    assert at and all("Index Cond" in lines[n + 1] for n in at), plan


@pytest.mark.parametrize(("statement", "indexes"), [
    (event_indexes.NAMED_AS_HOME, ("events_branch_home", "events_branch_parent")),
    (event_indexes.DUES_PAID_AT, ("events_dues_paid_org", "events_dues_paid_receiving_org")),
    (event_indexes.LINKED_TO_HOST, ("events_branch_host",)),
    (event_indexes.LAST_LIFE, ("events_meeting_present", "events_meeting_certificate_holders")),
], ids=["named as home", "dues paid at", "linked to host", "last life"])
@pytest.mark.parametrize("plan_cache_mode", ["force_generic_plan", "force_custom_plan"])
async def test_each_look_up_reads_its_indexes(store: asyncpg.Connection, statement: str, indexes: tuple[str, ...],
                                              plan_cache_mode: str) -> None:
    plan = await _plan(store, plan_cache_mode, "text", statement, "'org-1'")
    assert "Seq Scan on events" not in plan, plan
    for index in indexes:
        _probed_by_condition(plan, index)


async def test_the_look_ups_find_what_they_name(store: asyncpg.Connection) -> None:
    """What each statement answers, on the rows above: a payment collected at an organisation or received there
    (once each, in position order), a branch naming an organisation as home or parent, a branch linked to a host."""
    await store.execute(
        "INSERT INTO events (event_id, stream_id, stream_type, version, type, data, occurred_at, actor,"
        " correlation_id, hash) VALUES (gen_random_uuid(), 'dues-x', 'dues', 1, $1, $2::json, now(), 't', 't',"
        " '\\x00')", event_indexes.DUES_PAID, '{"org_id": "org-7", "receiving_org_id": "org-5"}')
    positions = dict(await store.fetch("SELECT stream_id, position FROM events WHERE stream_id IN"
                                       " ('dues-5', 'dues-7', 'dues-x')"))
    assert [r["position"] for r in await store.fetch(event_indexes.DUES_PAID_AT, "org-5")] == [
        positions["dues-5"], positions["dues-x"]]
    assert [r["position"] for r in await store.fetch(event_indexes.DUES_PAID_AT, "org-7")] == [
        positions["dues-7"], positions["dues-x"]]
    assert await store.fetch(event_indexes.DUES_PAID_AT, "org-none") == []
    assert await store.fetchval(event_indexes.NAMED_AS_HOME, "org-3")
    assert not await store.fetchval(event_indexes.NAMED_AS_HOME, "host-3")
    assert [r["stream_id"] for r in await store.fetch(event_indexes.LINKED_TO_HOST, "host-3")] == ["branch-3"]


@pytest.mark.parametrize("types", [(event_indexes.TRANSFER_RECEIVED,), event_indexes.DUES_FOLLOWED],
                         ids=["reception", "closing"])
@pytest.mark.parametrize("plan_cache_mode", ["force_generic_plan", "force_custom_plan"])
async def test_a_sweep_reads_the_followed_facts_after_its_mark_alone(store: asyncpg.Connection, types: tuple[str, ...],
                                                                     plan_cache_mode: str) -> None:
    """A dues reaction's sweep (services/membership/dues_reactions.py) with nothing to do once walked every event after
    its mark, which then stays put: the whole store every few seconds. It reads the partial index by position."""
    plan = await _plan(store, plan_cache_mode, "bigint, int", event_indexes.facts_after(types), "0, 200")
    _probed_by_condition(plan, "events_dues_followed")
    assert "events_pkey" not in plan and "Seq Scan" not in plan, plan


async def test_a_sweep_finds_the_facts_it_follows_after_its_mark(store: asyncpg.Connection) -> None:
    inserted = [await store.fetchval(
        "INSERT INTO events (event_id, stream_id, stream_type, version, type, data, occurred_at, actor,"
        " correlation_id, hash) VALUES (gen_random_uuid(), $1, 'member', 1, $2, '{}', now(), 't', 't', '\\x00')"
        " RETURNING position", f"ending-{n}", type_) for n, type_ in enumerate(
            (event_indexes.MEMBER_DIED, event_indexes.TRANSFER_RECEIVED, event_indexes.PROBATION_CANCELLED,
             event_indexes.MEMBERSHIP_REMOVED, event_indexes.TRANSFER_RECEIVED))]
    receptions = event_indexes.facts_after((event_indexes.TRANSFER_RECEIVED,))
    closings = event_indexes.facts_after(event_indexes.DUES_FOLLOWED)
    assert [r["position"] for r in await store.fetch(receptions, 0, 200)] == [inserted[1], inserted[4]]
    assert [r["position"] for r in await store.fetch(receptions, inserted[1], 200)] == [inserted[4]]
    assert [r["position"] for r in await store.fetch(closings, inserted[0], 2)] == inserted[1:3]
    assert await store.fetch(closings, inserted[4], 200) == []


def test_a_sweep_names_only_the_facts_the_index_holds() -> None:
    with pytest.raises(ValueError, match="not all of the indexed facts"):
        event_indexes.facts_after((event_indexes.TRANSFER_RECEIVED, event_indexes.DUES_PAID))
    with pytest.raises(ValueError):
        event_indexes.facts_after(())
