"""Which runs of a statement the rebuild writes set-based (services/kernel/bulk.py), read from the statement alone."""

from __future__ import annotations

from services.kernel.bulk import parse

Q = '"rebuild_x"'


def test_a_plain_insert_of_its_parameters_may_be_copied_straight_into_its_table() -> None:
    insert = parse(f"INSERT INTO {Q}.things (id, name, tags, position) VALUES ($1,$2,$3::jsonb,$4)")
    assert insert is not None and insert.plain()
    assert (insert.schema, insert.table, insert.columns) == ("rebuild_x", "things", ("id", "name", "tags", "position"))


def test_an_insert_that_keeps_the_first_of_a_key_goes_through_a_staging_table_in_order() -> None:
    insert = parse(f"INSERT INTO {Q}.orgs (org_id, name, outstation, position) VALUES ($1,$2,$3,$4)"
                   " ON CONFLICT (org_id) DO NOTHING")
    assert insert is not None and not insert.plain() and insert.inserts_arguments()  # COPYed first, while it may
    assert insert.staged("gb_stage_0") == (
        'INSERT INTO "rebuild_x".orgs (org_id, name, outstation, position) SELECT s.p1,s.p2,s.p3,s.p4'
        " FROM gb_stage_0 s ORDER BY s.seq ON CONFLICT (org_id) DO NOTHING")


def test_values_computed_from_parameters_are_computed_the_same_way_from_the_staged_rows() -> None:
    insert = parse(f"INSERT INTO {Q}.totals (id, total, at, position) VALUES ($1, $2 + $10, coalesce($3, now()), $11)")
    assert insert is not None and not insert.plain() and not insert.inserts_arguments()
    assert "SELECT s.p1, s.p2 + s.p10, coalesce(s.p3, now()), s.p11 FROM" in insert.staged("st")


def test_parameters_out_of_their_columns_order_are_not_a_plain_insert() -> None:
    insert = parse(f"INSERT INTO {Q}.things (id, name) VALUES ($2,$1)")
    assert insert is not None and not insert.plain()


def test_upserts_updates_reads_defaults_and_literals_are_left_to_one_statement_per_row() -> None:
    for sql in (
        f"INSERT INTO {Q}.c (id, n) VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET n = c.n + 1",
        f"UPDATE {Q}.c SET n = $2 WHERE id = $1",
        f"DELETE FROM {Q}.c WHERE id = $1",
        f"INSERT INTO {Q}.c (id, n) VALUES ($1, (SELECT max(n) FROM {Q}.c))",
        f"INSERT INTO {Q}.c (id, n) VALUES ($1, DEFAULT)",
        f"INSERT INTO {Q}.c (id, kind) VALUES ($1, 'event')",
        f"INSERT INTO {Q}.c (id, n) SELECT $1, $2",
    ):
        assert parse(sql) is None, sql
