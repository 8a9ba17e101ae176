"""The projector's statements for a batch: each record's in the order of its events, all records' together in as
few round trips as that allows (one executemany per statement of a batch of one event type)."""

from __future__ import annotations

from collections import deque
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.kernel.projection import Op, run_ops


class Recorder:
    """Stands in for the connection: records each executemany (statement, rows) in the order sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[Any, ...]]]] = []

    async def executemany(self, sql: str, args: list[tuple[Any, ...]]) -> None:
        self.calls.append((sql, list(args)))


async def _sent(records: list[list[Op]]) -> Recorder:
    conn = Recorder()
    await run_ops(conn, [deque(ops) for ops in records])  # type: ignore[arg-type]
    return conn


async def test_a_batch_of_one_event_type_costs_one_round_trip_per_statement() -> None:
    branches = [[("INSERT branch", (n,)), ("INSERT organisation", (n,)), ("UPDATE township", (n,))]
                for n in range(500)]
    conn = await _sent(branches)
    assert [(sql, len(rows)) for sql, rows in conn.calls] == [
        ("INSERT branch", 500), ("INSERT organisation", 500), ("UPDATE township", 500)]


@given(st.lists(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 9)), max_size=6), max_size=8))
async def test_every_records_statements_run_in_its_order_and_none_is_lost_or_repeated(
        raw: list[list[tuple[str, int]]]) -> None:
    records = [[(sql, (r, i, n)) for i, (sql, n) in enumerate(ops)] for r, ops in enumerate(raw)]
    conn = await _sent(records)
    sent = [(sql, row) for sql, rows in conn.calls for row in rows]
    assert sorted(sent) == sorted(op for ops in records for op in ops)
    for r, ops in enumerate(records):
        assert [op for op in sent if op[1][0] == r] == ops
    assert all(rows for _, rows in conn.calls)
