"""A batch PostgreSQL refuses a value of, applied again event by event (services/kernel/projection.py run_each):
the events refused leave nothing behind and are reported, every other event is applied, each in its order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.projection import Op, run_each


class Savepoints:
    """Stands in for the connection: a statement with a NUL in an argument is refused as PostgreSQL refuses it,
    and what a savepoint ran is undone when it ends in an error."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, tuple[Any, ...]]] = []
        self.savepoints = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        self.savepoints += 1
        kept = len(self.rows)
        try:
            yield
        except BaseException:
            del self.rows[kept:]
            raise

    async def executemany(self, sql: str, args: list[tuple[Any, ...]]) -> None:
        for row in args:
            if any(isinstance(v, str) and "\x00" in v for v in row):
                raise asyncpg.exceptions.CharacterNotInRepertoireError('invalid byte sequence for encoding "UTF8": '
                                                                       "0x00")
            self.rows.append((sql, row))


def _event(n: int, name: str) -> list[Op]:
    return [("INSERT branch", (n, "ok")), ("INSERT name", (n, name)), ("UPDATE count", (n,))]


async def test_the_event_refused_is_undone_whole_and_reported_and_the_others_are_applied() -> None:
    conn = Savepoints()
    events = [("e1", _event(1, "first")), ("e2", _event(2, "a\x00b")), ("e3", _event(3, "third")), ("e4", [])]
    refused = await run_each(conn, events)  # type: ignore[arg-type]
    assert [(key, type(exc).__name__) for key, exc in refused] == [("e2", "CharacterNotInRepertoireError")]
    assert [row[0] for _, row in conn.rows] == [1, 1, 1, 3, 3, 3]  # e2's first statement undone with it
    assert conn.savepoints == 3  # an event without statements needs none


@given(st.lists(st.lists(st.sampled_from(["ok", "x\x00"]), min_size=1, max_size=4), max_size=8))
async def test_exactly_the_events_with_a_refused_value_are_set_aside(names: list[list[str]]) -> None:
    conn = Savepoints()
    events = [(i, [("INSERT", (i, j, name)) for j, name in enumerate(event)]) for i, event in enumerate(names)]
    refused = await run_each(conn, events)  # type: ignore[arg-type]
    bad = {i for i, event in enumerate(names) if any("\x00" in n for n in event)}
    assert {key for key, _ in refused} == bad
    assert [row for _, row in conn.rows] == [op[1] for i, ops in events if i not in bad for op in ops]
