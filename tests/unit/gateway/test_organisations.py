"""The organisations read model: one row per organisation from its own event; townships resolved when read."""

from __future__ import annotations

from services.gateway.readmodels import PROJECTION, organisations
from services.gateway.readmodels.organisations import township_from_chain
from services.membership.contract.events import BranchEstablished, MemberRegistered
from services.membership.contract.events.branches import OrganisationEstablished, OrgKind
from tests.unit.gateway.builders import Q, envelope, event, row, target


def test_an_established_organisation_becomes_a_row_with_its_kind_and_parent() -> None:
    ops = organisations.apply(Q, envelope(5), event(OrganisationEstablished, org_id="township-a",
                                                     kind=OrgKind.TOWNSHIP_COMMITTEE, parent_id="county"))
    assert [target(op) for op in ops] == ["organisations_view"]
    inserted = row(ops[0])
    assert (inserted["org_id"], inserted["kind"], inserted["parent_id"], inserted["home_org_id"],
            inserted["outstation"], inserted["position"]) == ("township-a", "township_committee", "county", None,
                                                              False, 5)


def test_an_outstation_branch_becomes_a_row_under_its_home_organisation() -> None:
    ops = organisations.apply(Q, envelope(6), event(BranchEstablished, branch_id="b-1", home_org_id="township-a",
                                                     kind=OrgKind.BRANCH))
    inserted = row(ops[0])
    assert (inserted["org_id"], inserted["kind"], inserted["home_org_id"], inserted["outstation"]) == (
        "b-1", "branch", "township-a", True)


def test_a_row_depends_on_its_own_event_only_so_a_replay_in_any_order_writes_it_once() -> None:
    ops = organisations.apply(Q, envelope(), event(BranchEstablished, branch_id="b-1"))
    assert "ON CONFLICT (org_id) DO NOTHING" in ops[0][0]
    assert "SELECT" not in ops[0][0]  # nothing read from another record's row


def test_a_member_event_writes_nothing_to_the_organisations() -> None:
    assert organisations.apply(Q, envelope(), event(MemberRegistered)) == []


def test_the_projection_hands_branch_events_to_both_the_branches_and_the_organisations() -> None:
    ops = PROJECTION.apply(Q, envelope(), event(BranchEstablished, branch_id="b-2"))
    assert {target(op) for op in ops} == {"branches_view", "organisations_view"}


def test_the_township_is_the_township_committee_at_the_top_of_the_walk() -> None:
    chain = [("group-1", False, "party_group"), ("branch-1", False, "branch"), ("township-a", False,
                                                                                 "township_committee")]
    assert township_from_chain(chain) == "township-a"


def test_a_township_committee_is_its_own_township() -> None:
    assert township_from_chain([("township-a", False, "township_committee")]) == "township-a"


def test_the_unrecorded_home_of_an_outstation_branch_is_its_township() -> None:
    assert township_from_chain([("b-1", False, "branch"), ("township-x", True, None)]) == "township-x"


def test_an_unrecorded_parent_of_an_ordinary_organisation_is_no_township() -> None:
    assert township_from_chain([("branch-9", False, "branch"), ("somewhere", False, None)]) is None


def test_an_unrecorded_organisation_has_no_township() -> None:
    assert township_from_chain([("nobody-knows", False, None)]) is None


def test_a_walk_that_ends_below_the_townships_finds_none() -> None:
    assert township_from_chain([("county", False, "county_committee")]) is None
    assert township_from_chain([]) is None


def test_the_walks_stop_at_a_township_and_are_bounded() -> None:
    assert f"o.kind <> '{organisations.TOWNSHIP}'" in organisations._UP
    assert f"depth < {organisations.MAX_DEPTH}" in organisations._UP
    assert f"depth < {organisations.MAX_DEPTH}" in organisations._DOWN
