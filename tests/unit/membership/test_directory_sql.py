"""The member directory's trigger fires only for the event types its function reads: the two lists in
services/membership/directory.sql must name the same types, each a membership event that exists."""

from __future__ import annotations

import re
from pathlib import Path

from services.membership.contract.events import REGISTRY

SQL = (Path(__file__).parents[3] / "services" / "membership" / "directory.sql").read_text()
TYPE = re.compile(r"'(gb\.membership\.[a-z_]+\.v\d+)'")


def _section(start: str, end: str) -> str:
    begin = SQL.index(start)
    return SQL[begin:SQL.index(end, begin)]


def test_the_trigger_fires_for_exactly_the_types_the_directory_reads() -> None:
    read = set(TYPE.findall(_section("CREATE OR REPLACE FUNCTION gb_member_directory_apply", "$$;")))
    fired = set(TYPE.findall(_section("CREATE OR REPLACE TRIGGER member_directory", "EXECUTE FUNCTION")))
    assert read, "no event types found in gb_member_directory_apply"
    assert fired == read
    assert read <= set(REGISTRY.names())
