"""The branches read model: one row per branch; member counts are derived from the members view when read."""

from __future__ import annotations

from services.gateway.readmodels import PROJECTION, branches
from services.membership.contract.events import BranchEstablished, MemberRegistered
from tests.unit.gateway.builders import Q, envelope, event, row, target


def test_an_established_branch_becomes_a_row_with_its_covered_units_as_json() -> None:
    ops = branches.apply(Q, envelope(3), event(BranchEstablished, branch_id="b-1", home_org_id="township-a",
                                               covered_units=("u-1", "u-2")))
    assert [target(op) for op in ops] == ["branches_view"]
    inserted = row(ops[0])
    assert (inserted["branch_id"], inserted["home_org_id"], inserted["position"]) == ("b-1", "township-a", 3)
    assert inserted["covered_units"] == '["u-1","u-2"]'


def test_a_member_event_writes_nothing_to_the_branches() -> None:
    assert branches.apply(Q, envelope(), event(MemberRegistered)) == []


def test_the_members_table_exists_before_the_view_that_counts_members() -> None:
    ddl = PROJECTION.ddl
    assert ddl.index("{schema}.members_view (") < ddl.index("VIEW {schema}.branches_with_counts")
