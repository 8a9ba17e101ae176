"""Runs of one INSERT statement written set-based, at the pace of COPY: what a read-model rebuild writes with.

A projection returns its statements one event at a time (``Op``); the runner sends each run of one statement with
all its rows (services/kernel/projection.py ``run_ops``). With executemany PostgreSQL still binds, executes and logs
every row as a statement of its own — measured on a table with one index, half the rows/s of COPY, and three times
the client's CPU. ``Bulk.send`` writes a run
 - by COPY straight into the table, when the statement is a plain INSERT of its parameters, one per column and of
   the column's own type: COPY then stores exactly the rows the INSERTs would;
 - else, for an INSERT whose values are expressions of its parameters (with or without ``ON CONFLICT … DO
   NOTHING``), by COPY into a staging table of the statement's parameter types and one ``INSERT … SELECT`` of the
   statement's own expressions over the staged rows, in their order — so of two rows with one key the first is
   kept, as one INSERT after another would. One that inserts its parameters as a plain INSERT does, only ``ON
   CONFLICT … DO NOTHING`` added, is first COPYed straight into its table in a savepoint: without a conflict that
   stores what the INSERTs would, and a conflict (of a row with the table's or with another of the run) rolls the
   COPY back for the staging table — for that run and the statement's later ones, as a statement that conflicted
   once is one that re-inserts its keys;
 - else (an UPDATE, an upsert, a value read from a table, a literal) with executemany, one statement per row: a
   set-based form of those could see other rows than one statement after another does.
A staging table is a temporary table of the connection, emptied at each commit: a ``Bulk`` keeps one connection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import asyncpg

#: Shorter runs go by executemany: a COPY, and a staging table's second statement, are round trips too.
MIN_COPY_ROWS = 8
MIN_STAGED_ROWS = 16

_INSERT = re.compile(
    r'INSERT INTO (?P<schema>"[^"]+"|\w+)\.(?P<table>\w+) \((?P<columns>[\w\s,]+)\) VALUES \((?P<values>.*)\)'
    r"(?P<conflict> ON CONFLICT(?: \([\w\s,]+\))? DO NOTHING)?", re.S)
#: Values that read a table, fall back on a default or hold a literal are left to executemany.
_UNSAFE = re.compile(r"""['"]|\b(?:select|default)\b""", re.I)
_PARAMETER = re.compile(r"\$(\d+)\b")
_PLAIN = re.compile(r"\$(\d+)(?:::\w+)?")


@dataclass(frozen=True)
class Plan:
    """How a statement's runs are written: ``copy`` into ``table``, ``staged`` through ``stage``, or neither."""

    copy: bool = False
    staged: bool = False
    #: Staged, but COPYed into ``table`` first while no run of it has conflicted.
    copy_first: bool = False
    schema: str = ""
    table: str = ""
    columns: tuple[str, ...] = ()
    stage: str = ""
    insert: str = ""


@dataclass(frozen=True)
class Insert:
    """A statement ``Bulk`` may write set-based, taken apart."""

    schema: str
    table: str
    columns: tuple[str, ...]
    values: str
    conflict: str

    def plain(self) -> bool:
        """A plain INSERT of its arguments (``inserts_arguments``, no ``ON CONFLICT``)."""
        return not self.conflict and self.inserts_arguments()

    def inserts_arguments(self) -> bool:
        """Each value is the parameter of its position (a cast at most): the statement inserts its arguments."""
        items = _items(self.values)
        return len(items) == len(self.columns) and all(
            (m := _PLAIN.fullmatch(item)) is not None and int(m[1]) == n for n, item in enumerate(items, 1))

    def staged(self, stage: str) -> str:
        """The statement over the rows staged in ``stage`` (columns ``seq``, ``p1``, ``p2``, …), in their order."""
        values = _PARAMETER.sub(lambda m: f"s.p{m[1]}", self.values)
        return (f'INSERT INTO "{self.schema}".{self.table} ({", ".join(self.columns)}) SELECT {values}'
                f" FROM {stage} s ORDER BY s.seq{self.conflict}")


def parse(sql: str) -> Insert | None:
    """The INSERT ``Bulk`` may write set-based, or None for a statement it leaves to executemany."""
    m = _INSERT.fullmatch(sql.strip())
    if m is None or _UNSAFE.search(m["values"]):
        return None
    # Unquoted names are folded to lower case, as PostgreSQL folds them.
    return Insert(schema=m["schema"].strip('"'), table=m["table"].lower(),
                  columns=tuple(c.strip().lower() for c in m["columns"].split(",")), values=m["values"].strip(),
                  conflict=m["conflict"] or "")


def _items(values: str) -> list[str]:
    """The values of a VALUES list, split at its top-level commas."""
    items, depth, start = [], 0, 0
    for n, ch in enumerate(values):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(values[start:n].strip())
            start = n + 1
    items.append(values[start:].strip())
    return items


class Bulk:
    """Sends runs of one statement on ``conn`` (module docstring); a plan per statement, made at its first run. Its
    staging tables are made in the transaction of that run: after a transaction that failed, make a new ``Bulk``."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._plans: dict[str, Plan] = {}
        #: Statements copy_first whose COPY conflicted once: staged from then on.
        self._conflicted: set[str] = set()

    async def send(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        plan = self._plans.get(sql)
        if plan is None and len(rows) >= MIN_COPY_ROWS:
            plan = self._plans[sql] = await self._plan(sql)
        if plan is not None and plan.copy:
            await self.conn.copy_records_to_table(plan.table, schema_name=plan.schema, columns=plan.columns,
                                                  records=rows)
        elif plan is not None and plan.staged and len(rows) >= MIN_STAGED_ROWS:
            if plan.copy_first and sql not in self._conflicted and await self._copy_unless_conflict(sql, plan, rows):
                return
            await self.conn.copy_records_to_table(plan.stage, records=[(n, *row) for n, row in enumerate(rows)])
            await self.conn.execute(plan.insert)
        else:
            await self.conn.executemany(sql, rows)

    async def _copy_unless_conflict(self, sql: str, plan: Plan, rows: list[tuple[Any, ...]]) -> bool:
        try:
            async with self.conn.transaction():  # a savepoint: a COPY that conflicts leaves the batch's usable
                await self.conn.copy_records_to_table(plan.table, schema_name=plan.schema, columns=plan.columns,
                                                      records=rows)
            return True
        except (asyncpg.UniqueViolationError, asyncpg.ExclusionViolationError):
            self._conflicted.add(sql)
            return False

    async def _plan(self, sql: str) -> Plan:
        insert = parse(sql)
        if insert is None:
            return Plan()
        parameters = (await self.conn.prepare(sql)).get_parameters()
        copyable = False
        if insert.inserts_arguments():
            columns = dict(await self.conn.fetch(
                "SELECT attname::text, atttypid FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0"
                " AND NOT attisdropped", f'"{insert.schema}".{insert.table}'))
            copyable = all(columns.get(c) == p.oid for c, p in zip(insert.columns, parameters, strict=True))
            if copyable and not insert.conflict:
                return Plan(copy=True, schema=insert.schema, table=insert.table, columns=insert.columns)
        types = [r[0] for r in await self.conn.fetch(
            "SELECT format_type(t, NULL) FROM unnest($1::oid[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
            [p.oid for p in parameters])]
        stage = f"gb_stage_{len(self._plans)}"
        await self.conn.execute(f"CREATE TEMPORARY TABLE {stage} (seq int, "
                                + ", ".join(f"p{n} {t}" for n, t in enumerate(types, 1)) + ") ON COMMIT DELETE ROWS")
        return Plan(staged=True, stage=stage, insert=insert.staged(stage), copy_first=copyable, schema=insert.schema,
                    table=insert.table, columns=insert.columns)
