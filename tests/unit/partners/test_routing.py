"""The router's decision: which partners get an internal event, under which subscriptions, masked how."""

from __future__ import annotations

from typing import Any

from services.investment.contract.events import LeadDuplicateRecorded
from services.partners.contract.values import PersonalDataPolicy, SubscriptionState
from services.partners.domain.routing import Directory, OrgTree, learn_tree, route, to_outward
from tests.unit.partners.builders import (
    LATER,
    ORGANISATION,
    REGISTERED,
    T0,
    branch,
    member,
    partner,
    subscription,
    township,
)


def _tree() -> OrgTree:
    tree = OrgTree()
    for event in (township("tw-a"), township("tw-b"), branch("br-a1", "tw-a"), branch("br-b1", "tw-b")):
        item = to_outward(event)
        assert item is not None
        learn_tree(tree, item)
    return tree


def _route(event: Any, directory: Directory, tree: OrgTree | None = None) -> dict[str, Any]:
    item = to_outward(event)
    assert item is not None
    out = route(item, event_id="e-1", source="/golden-bridge/membership", time=LATER, directory=directory,
                tree=tree or _tree(), public_base_url="https://gb.example/")
    return {d.partner_id: d for d in out}


def test_a_township_scope_reaches_every_organisation_under_it_and_nothing_else() -> None:
    directory = Directory.of(
        {"p-a": partner("p-a", townships=("tw-a",)), "p-b": partner("p-b", townships=("tw-b",)),
         "p-all": partner("p-all")},
        [subscription("p-a", "s-a"), subscription("p-b", "s-b"), subscription("p-all", "s-all")])
    got = _route(member("m-1", "br-a1"), directory)
    assert sorted(got) == ["p-a", "p-all"]
    assert got["p-a"].subscription_ids == ("s-a",)
    assert got["p-a"].subject == "member/m-1"


def test_an_organisation_scope_reaches_the_organisation_and_its_descendants_only() -> None:
    directory = Directory.of({"p": partner("p", organisations=("br-a1",))}, [subscription("p")])
    assert list(_route(member("m-1", "br-a1"), directory)) == ["p"]
    assert _route(member("m-2", "tw-a"), directory) == {}


def test_the_partners_policy_masks_or_nulls_personal_fields() -> None:
    directory = Directory.of(
        {"masked": partner("masked", policy=PersonalDataPolicy.MASKED),
         "none": partner("none", policy=PersonalDataPolicy.NONE)},
        [subscription("masked", "s-1"), subscription("none", "s-2")])
    got = _route(member("m-1", "br-a1", name="张三丰"), directory)
    assert got["masked"].cloudevent["data"]["name"] == "张**"
    assert got["masked"].cloudevent["data"]["national_id_masked"] == "330203**********1X"
    assert got["none"].cloudevent["data"]["name"] is None
    assert got["none"].cloudevent["data"]["national_id_masked"] is None
    assert got["none"].cloudevent["data"]["member_id"] == "m-1"


def test_the_cloudevent_names_its_type_schema_and_the_internal_id() -> None:
    directory = Directory.of({"p": partner("p")}, [subscription("p")])
    event = _route(member("m-1", "br-a1"), directory)["p"].cloudevent
    assert event["id"] == "e-1" and event["specversion"] == "1.0" and event["type"] == REGISTERED
    assert event["dataschema"] == f"https://gb.example/v1/schemas/{REGISTERED}.json"
    assert event["partner"] == "p" and event["source"] == "/golden-bridge/membership"
    assert "actor" not in event["data"] and "personal" not in event["data"]


def test_types_outside_the_scope_and_subscriptions_that_do_not_select_are_left_out() -> None:
    directory = Directory.of(
        {"types": partner("types", types=(ORGANISATION,)), "filtered": partner("filtered"),
         "later": partner("later"), "deleted": partner("deleted"), "none": partner("none")},
        [subscription("types"), subscription("filtered", filters=({"prefix": {"subject": "lead/"}},)),
         subscription("later", created_at=LATER.replace(year=2027)),
         subscription("deleted", state=SubscriptionState.DELETED)])
    assert _route(member("m-1", "br-a1"), directory) == {}


def test_each_subscription_that_selects_is_named_once() -> None:
    directory = Directory.of({"p": partner("p")}, [
        subscription("p", "s-1"), subscription("p", "s-2", types=(REGISTERED,)),
        subscription("p", "s-3", types=(ORGANISATION,)), subscription("p", "s-4", created_at=T0)])
    assert _route(member("m-1", "br-a1"), directory)["p"].subscription_ids == ("s-1", "s-2", "s-4")


def test_an_organisation_unknown_to_the_tree_is_only_itself() -> None:
    directory = Directory.of({"p": partner("p", townships=("tw-a",))}, [subscription("p")])
    assert _route(member("m-1", "br-new"), directory) == {}
    assert to_outward(LeadDuplicateRecorded.__new__(LeadDuplicateRecorded)) is None


def test_a_subscription_is_judged_by_when_the_event_was_recorded_and_keeps_its_time() -> None:
    # The subscription began at LATER (when its store recorded it): an event that happened at T0 but was recorded
    # at LATER is covered; one recorded at T0 is not. The CloudEvent keeps the time the event happened.
    directory = Directory.of({"p": partner("p")}, [subscription("p", created_at=LATER)])
    item = to_outward(member("m-1", "br-a1"))
    assert item is not None

    def routed(recorded: Any) -> list[Any]:
        return route(item, event_id="e-1", source="/golden-bridge/membership", time=T0, directory=directory,
                     tree=_tree(), public_base_url="https://gb.example/", recorded=recorded)

    (delivery,) = routed(LATER)
    assert delivery.cloudevent["time"] == T0.isoformat()
    assert routed(T0) == []
