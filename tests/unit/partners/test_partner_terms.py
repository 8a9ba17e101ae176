"""A partner's terms — its scope and personal-data policy — are those in force when an event was recorded
(services/partners/domain/partners.py ``terms_at``): a change of them applies to events recorded from the change on,
so a router that is behind, or sends an event again, decides as it would have then — the same bytes under one id."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from services.partners.contract.events import PartnerChanged, PartnerRegistered, PartnerScope
from services.partners.contract.values import PartnerKind, PersonalDataPolicy
from services.partners.domain import partners
from services.partners.domain.partners import Partner, terms_at
from services.partners.domain.routing import Directory, OrgTree, learn_tree, route, to_outward
from tests.unit.partners.builders import LATER, REGISTERED, T0, branch, member, subscription, township

WIDE = PartnerScope(event_types=(REGISTERED,))
NARROW = PartnerScope(event_types=(REGISTERED,), townships=("tw-b",))


def _registered() -> Partner:
    state = partners.evolve(None, PartnerRegistered(
        partner_id="p", name="宁波市某区委组织部", kind=PartnerKind.HOST_COMMITTEE, contact="组织科", scope=WIDE,
        personal_data=PersonalDataPolicy.MASKED, registered_at=T0, actor="county_admin:a"))
    assert state is not None
    return state


def _changed(state: Partner, *, scope: PartnerScope, policy: PersonalDataPolicy, name: str = "宁波市某区委组织部",
             at: Any = LATER) -> Partner:
    after = partners.evolve(state, PartnerChanged(partner_id="p", name=name, contact="组织科", scope=scope,
                                                  personal_data=policy, changed_at=at, actor="county_admin:a"))
    assert after is not None
    return after


def test_a_change_of_terms_keeps_the_earlier_ones_with_when_it_was_recorded() -> None:
    changed = _changed(_registered(), scope=NARROW, policy=PersonalDataPolicy.NONE)
    assert (changed.scope, changed.personal_data) == (NARROW, PersonalDataPolicy.NONE)
    assert changed.earlier_terms == ((LATER, WIDE, PersonalDataPolicy.MASKED),)


def test_a_change_of_name_or_contact_alone_keeps_no_earlier_terms() -> None:
    renamed = _changed(_registered(), scope=WIDE, policy=PersonalDataPolicy.MASKED, name="宁波市另一区委组织部")
    assert renamed.earlier_terms == ()


def test_the_terms_in_force_are_those_before_the_first_change_recorded_after_the_time() -> None:
    second = LATER + timedelta(days=1)
    state = _changed(_changed(_registered(), scope=NARROW, policy=PersonalDataPolicy.MASKED),
                     scope=NARROW, policy=PersonalDataPolicy.NONE, at=second)
    assert terms_at(state, T0) == (WIDE, PersonalDataPolicy.MASKED)
    assert terms_at(state, LATER - timedelta(microseconds=1)) == (WIDE, PersonalDataPolicy.MASKED)
    assert terms_at(state, LATER) == (NARROW, PersonalDataPolicy.MASKED)
    assert terms_at(state, second) == (NARROW, PersonalDataPolicy.NONE)
    assert terms_at(state, second + timedelta(days=9)) == (NARROW, PersonalDataPolicy.NONE)


def _routed(state: Partner, recorded: Any) -> list[Any]:
    tree = OrgTree()
    for event in (township("tw-a"), township("tw-b"), branch("br-a1", "tw-a")):
        item = to_outward(event)
        assert item is not None
        learn_tree(tree, item)
    item = to_outward(member("m-1", "br-a1", name="张三丰"))
    assert item is not None
    directory = Directory.of({"p": state}, [subscription("p")])
    return route(item, event_id="e-1", source="/golden-bridge/membership", time=T0, directory=directory, tree=tree,
                 public_base_url="https://gb.example/", recorded=recorded)


def test_an_event_recorded_before_a_change_is_routed_and_masked_by_the_terms_it_was_recorded_under() -> None:
    # Narrowed to another township, and personal data no longer sent, from LATER on.
    state = _changed(_registered(), scope=NARROW, policy=PersonalDataPolicy.NONE)
    (before,) = _routed(state, LATER - timedelta(seconds=1))
    assert before.cloudevent["data"]["name"] == "张**"
    assert _routed(state, LATER) == []
    widened = _changed(state, scope=WIDE, policy=PersonalDataPolicy.NONE, at=LATER + timedelta(hours=1))
    (after,) = _routed(widened, LATER + timedelta(hours=2))
    assert after.cloudevent["data"]["name"] is None
    assert _routed(widened, LATER + timedelta(minutes=30)) == []


def test_a_partner_without_changes_is_routed_by_its_present_terms() -> None:
    state = replace(_registered(), personal_data=PersonalDataPolicy.NONE)
    (delivery,) = _routed(state, T0)
    assert delivery.cloudevent["data"]["name"] is None
