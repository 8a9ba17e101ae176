"""The router waits for its organisation follower only when an event's organisations are not fully known."""

from __future__ import annotations

from services.partners.domain.routing import OrgTree, Outward, to_outward
from services.partners.org_tree import unknown, unknown_after
from tests.unit.partners.builders import branch, member, township


def _tree() -> OrgTree:
    tree = OrgTree()
    tree.add("county", None)
    tree.add("tw-a", "county")
    tree.add("br-a1", "tw-a")
    tree.add("br-x", "tw-unseen")  # learnt before its parent (another partition)
    return tree


def test_an_organisation_whose_whole_chain_is_known_needs_no_wait() -> None:
    assert unknown(_tree(), ["br-a1"]) == set()
    assert unknown(_tree(), ["br-a1", "tw-a", "county"]) == set()


def test_an_organisation_never_learnt_is_unknown() -> None:
    assert unknown(_tree(), ["br-new"]) == {"br-new"}
    assert unknown(OrgTree(), ["a", "b"]) == {"a", "b"}


def test_a_known_organisation_whose_parent_is_not_learnt_yet_is_not_fully_known() -> None:
    assert unknown(_tree(), ["br-x"]) == {"tw-unseen"}
    assert unknown(_tree(), ["br-a1", "br-x"]) == {"tw-unseen"}


def test_no_organisations_need_no_wait() -> None:
    assert unknown(_tree(), []) == set()


def test_a_cycle_in_the_tree_does_not_hang_the_check() -> None:
    tree = OrgTree()
    tree.add("a", "b")
    tree.add("b", "a")
    assert unknown(tree, ["a"]) == set()


def _outward(event: object) -> Outward:
    item = to_outward(event)
    assert item is not None
    return item


def test_a_batchs_own_organisation_events_make_their_organisations_known() -> None:
    """A branch established under a known township, and a member registered with it in the same batch, need no
    wait for the follower: the batch's own event says where the branch sits."""
    tree = _tree()
    batch = [_outward(branch("br-new", "tw-a")), _outward(member("m-1", "br-new"))]
    assert unknown(tree, ["br-new"]) == {"br-new"}
    assert unknown_after(tree, batch) == set()
    assert tree.with_ancestors(["br-new"]) == {"br-new", "tw-a", "county"}


def test_what_the_batch_does_not_establish_still_waits_for_the_follower() -> None:
    tree = _tree()
    batch = [_outward(branch("br-new", "tw-unknown")), _outward(member("m-2", "br-elsewhere"))]
    assert unknown_after(tree, batch) == {"tw-unknown", "br-elsewhere"}
    assert unknown_after(OrgTree(), [_outward(township("tw-b"))]) == {"county"}
