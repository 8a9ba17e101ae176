"""The router waits for its organisation follower only when an event's organisations are not fully known."""

from __future__ import annotations

from services.partners.domain.routing import OrgTree
from services.partners.org_tree import unknown


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
