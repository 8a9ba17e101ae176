"""The gateway's projection as a whole: one module per read model, each table defined and written by one."""

from __future__ import annotations

import re

from services.gateway.readmodels import MODULES, PROJECTION
from services.membership.contract.events.transfers import TransferReceived
from tests.unit.gateway.builders import Q, envelope, event


def _tables(ddl: str) -> set[str]:
    return set(re.findall(r"CREATE (?:TABLE IF NOT EXISTS|OR REPLACE VIEW) \{schema\}\.(\w+)", ddl))


def test_every_table_is_defined_by_exactly_one_read_model() -> None:
    defined = [table for module in MODULES for table in _tables(module.DDL)]
    assert len(defined) == len(set(defined))
    assert "ALTER TABLE" not in PROJECTION.ddl


def test_the_combined_projection_runs_each_read_model_in_order() -> None:
    ops = PROJECTION.apply(Q, envelope(), event(TransferReceived, transfer_id="t-1", member_id="m-1"))
    assert [op[0].split()[1] for op in ops] == [f"{Q}.members_view", f"{Q}.transfers_view"]
