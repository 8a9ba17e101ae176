"""A rebuild makes the read models' non-unique indexes after their rows (services/kernel/rebuild.py): every other
statement of the DDL is made first, in its order, and the unique ones ON CONFLICT may rely on stay with their table."""

from __future__ import annotations

from services.kernel.rebuild import secondary_indexes

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.a (id text PRIMARY KEY, org text, at date);
CREATE INDEX IF NOT EXISTS a_org ON {schema}.a (org, id) INCLUDE (at);
CREATE UNIQUE INDEX IF NOT EXISTS a_at ON {schema}.a (at);
  CREATE INDEX IF NOT EXISTS a_up ON {schema}.a ((coalesce(org,
      id)));
-- CREATE INDEX IF NOT EXISTS in a comment is no index;
CREATE OR REPLACE VIEW {schema}.v AS SELECT * FROM {schema}.a;
"""


def test_the_non_unique_indexes_are_taken_out_whole_and_the_rest_left_in_order() -> None:
    tables, indexes = secondary_indexes(DDL)
    assert indexes == ["CREATE INDEX IF NOT EXISTS a_org ON {schema}.a (org, id) INCLUDE (at);",
                       "CREATE INDEX IF NOT EXISTS a_up ON {schema}.a ((coalesce(org,\n      id)));"]
    assert [line for line in tables.splitlines() if line.strip()] == [
        "CREATE TABLE IF NOT EXISTS {schema}.a (id text PRIMARY KEY, org text, at date);",
        "CREATE UNIQUE INDEX IF NOT EXISTS a_at ON {schema}.a (at);",
        "-- CREATE INDEX IF NOT EXISTS in a comment is no index;",
        "CREATE OR REPLACE VIEW {schema}.v AS SELECT * FROM {schema}.a;",
    ]
