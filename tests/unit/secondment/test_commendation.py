"""Commendation for a major contribution (A: 引进资金、项目、人才): capital, projects or talent at its threshold."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.pure.errors import DomainError
from services.pure.policy_data import PolicyChangePublished, PublishPolicyChange, decide_publish, in_force
from services.secondment.contract.commands import ProposeCommendation, RecordContribution
from services.secondment.contract.events import REGISTRY, CommendationKind, CommendationProposed, ContributionKind
from services.secondment.domain import commendation, secondments
from services.secondment.policy import DEFAULT_SECONDMENT_POLICIES, DEFAULT_SECONDMENT_POLICY, POLICY_BOOK
from tests.unit.secondment.builders import COUNTY, TODAY, away, capital, decide, given_, s

POLICY = DEFAULT_SECONDMENT_POLICY
ON = date(2025, 1, 10)


def project(cid: str = "p-1", **o: Any) -> RecordContribution:
    return s(RecordContribution, **{"contribution_id": cid, "kind": ContributionKind.PROJECT,
                                    "description": "a shoe factory landed in the county park", "contributed_on": ON,
                                    **o})


def talent(people: int | None, cid: str = "t-1", **o: Any) -> RecordContribution:
    return s(RecordContribution, **{"contribution_id": cid, "kind": ContributionKind.TALENT,
                                    "description": "engineers recruited for the county hospital",
                                    "contributed_on": ON, "people": people, **o})


def proposals(events: list[Any]) -> list[CommendationProposed]:
    return [e for e in events if isinstance(e, CommendationProposed)]


def test_by_default_capital_projects_and_talent_count_each_against_its_own_threshold() -> None:
    assert POLICY.commendation_kinds == (CommendationKind.CAPITAL, CommendationKind.PROJECT, CommendationKind.TALENT)
    assert (POLICY.commendation_capital_threshold_yuan, POLICY.commendation_project_threshold,
            POLICY.commendation_talent_threshold) == (Decimal(1_000_000), 2, 5)


def test_the_second_project_proposes_a_commendation_naming_projects_and_the_policy() -> None:
    one = given_(project("p-1"), state=away())
    assert one.commendation_proposed_on is None
    (_, proposed) = decide(one, project("p-2", contributed_on=date(2025, 3, 1)))
    assert isinstance(proposed, CommendationProposed)
    assert proposed.qualified == (CommendationKind.PROJECT,)
    assert (proposed.projects, proposed.project_threshold, proposed.proposed_on) == (2, 2, date(2025, 3, 1))
    assert proposed.policy_version == POLICY.version
    assert proposed.reason == "major contribution: projects 2 (threshold 2)"


@given(st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=4))
def test_talent_proposes_exactly_when_the_people_introduced_reach_the_threshold(people: list[int]) -> None:
    state, proposed_at = away(), None
    for i, n in enumerate(people):
        events = decide(state, talent(n, f"t-{i}"))
        if proposals(events):
            assert proposed_at is None
            proposed_at = i
        for event in events:
            state = secondments.evolve(state, event)
    running = [sum(people[:i + 1]) for i in range(len(people))]
    first_at = next((i for i, total in enumerate(running) if total >= 5), None)
    assert proposed_at == first_at


def test_a_talent_contribution_without_a_count_introduced_one_person() -> None:
    state = given_(*(talent(None, f"t-{i}") for i in range(4)), state=away())
    assert state.commendation_proposed_on is None
    (_, proposed) = decide(state, talent(None, "t-4"))
    assert isinstance(proposed, CommendationProposed) and proposed.talent_people == 5


def test_people_belong_to_talent_only_and_are_bounded() -> None:
    with pytest.raises(DomainError, match="a project contribution has none"):
        decide(away(), project(people=3))
    for wrong in (0, -1, 10_001):
        with pytest.raises(DomainError, match="people must be 1 to 10000"):
            decide(away(), talent(wrong))
    assert decide(away(), talent(10_000))


def test_a_commendation_names_every_kind_that_qualified_on_the_day_and_is_proposed_once() -> None:
    state = given_(project("p-1"), talent(4), capital("900000"), state=away())
    assert state.commendation_proposed_on is None
    both = replace(POLICY, commendation_talent_threshold=4)
    (_, proposed) = decide(state, project("p-2"), policy=both)
    assert proposed.qualified == (CommendationKind.PROJECT, CommendationKind.TALENT)
    done = given_(project("p-2"), state=state, policy=both)
    assert proposals(decide(done, capital("200000", "k-2"))) == []


def test_a_kind_the_policy_does_not_count_never_qualifies_however_large() -> None:
    capital_only = replace(POLICY, commendation_kinds=(CommendationKind.CAPITAL,))
    state = given_(project("p-1"), project("p-2"), project("p-3"), talent(50), state=away(), policy=capital_only)
    assert state.commendation_proposed_on is None
    (_, proposed) = decide(state, capital("1000000"), policy=capital_only)
    assert proposed.qualified == (CommendationKind.CAPITAL,) and proposed.counted == (CommendationKind.CAPITAL,)


def test_with_no_kind_counted_nothing_is_proposed_and_a_proposal_is_refused() -> None:
    none = replace(POLICY, commendation_kinds=())
    state = given_(capital("5000000"), state=away(), policy=none)
    assert state.commendation_proposed_on is None
    with pytest.raises(DomainError, match="counts no kind of contribution"):
        decide(state, s(ProposeCommendation, proposed_on=ON, reason="great work"), policy=none)


def test_a_proposal_by_hand_needs_a_qualified_kind_and_names_it() -> None:
    propose = s(ProposeCommendation, proposed_on=date(2025, 6, 1), reason="  two projects landed  ")
    one = given_(project("p-1"), state=away())
    with pytest.raises(DomainError, match=r"projects 1 \(threshold 2\); talent 0 people \(threshold 5\)"):
        decide(one, propose)
    # The county lowered the project threshold: the hand proposal is made under the policy of its day.
    lowered = replace(POLICY, version="lowered", commendation_project_threshold=1)
    (proposed,) = decide(one, propose, policy=lowered)
    assert (proposed.qualified, proposed.reason, proposed.policy_version) == (
        (CommendationKind.PROJECT,), "two projects landed", "lowered")


def test_a_commendation_proposed_before_the_kinds_existed_reads_as_capital() -> None:
    old = {"secondment_id": "s-1", "cadre_id": "c-1", "proposed_on": "2025-01-10", "capital_total_yuan": "1000000",
           "threshold_yuan": "1000000", "reason": "capital", "actor": "x", "policy_version": "secondment-2026.1"}
    event = REGISTRY.decode("gb.secondment.commendation_proposed.v1", orjson.dumps(old))
    assert event.qualified == (CommendationKind.CAPITAL,) and event.projects is None
    recorded = decide(away(), talent(3))[0]
    assert REGISTRY.decode(REGISTRY.wire_name(recorded), REGISTRY.encode(recorded)) == recorded
    proposed = decide(given_(project("p-1"), state=away()), project("p-2"))[1]
    assert REGISTRY.decode(REGISTRY.wire_name(proposed), REGISTRY.encode(proposed)) == proposed


# --- the county publishes the commendation settings -----------------------------------------------------------


def publish(changes: dict[str, Any], published: tuple[PolicyChangePublished, ...] = ()) -> PolicyChangePublished:
    (event,) = decide_publish(published, PublishPolicyChange(
        actor=COUNTY, today=TODAY, policy="secondment", effective_from=date(2031, 1, 1), changes=changes,
        reason="county standing committee decision"), POLICY_BOOK)
    return event


def test_the_county_publishes_which_kinds_count_and_each_threshold() -> None:
    event = publish({"commendation_kinds": ["project", "talent"], "commendation_project_threshold": 3,
                     "commendation_talent_threshold": 10, "commendation_capital_threshold_yuan": "500000"})
    policy = in_force(DEFAULT_SECONDMENT_POLICIES, (event,), "secondment", date(2031, 1, 1))
    assert policy.commendation_kinds == (CommendationKind.PROJECT, CommendationKind.TALENT)
    assert (policy.commendation_project_threshold, policy.commendation_talent_threshold,
            policy.commendation_capital_threshold_yuan) == (3, 10, Decimal(500_000))
    assert in_force(DEFAULT_SECONDMENT_POLICIES, (event,), "secondment", date(2030, 12, 31)) == POLICY


@pytest.mark.parametrize(("changes", "field"), [
    ({"commendation_kinds": ["technology"]}, "commendation_kinds[0]"),
    ({"commendation_kinds": "capital"}, "commendation_kinds"),
    ({"commendation_project_threshold": "2"}, "commendation_project_threshold"),
    ({"commendation_talent_threshold": 2.5}, "commendation_talent_threshold"),
])
def test_a_setting_of_the_wrong_kind_is_refused_naming_it(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as refused:
        publish(changes)
    assert refused.value.extra.get("field") == field


@pytest.mark.parametrize("changes", [
    {"commendation_project_threshold": 0}, {"commendation_talent_threshold": -1},
    {"commendation_capital_threshold_yuan": "0"}, {"commendation_kinds": ["capital", "capital"]},
])
def test_a_threshold_of_zero_or_a_kind_named_twice_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(DomainError, match="would be invalid"):
        publish(changes)


def test_every_kind_has_a_threshold_and_a_wording() -> None:
    assert set(commendation.WORDING) == set(CommendationKind)
    assert [commendation.threshold(POLICY, k) for k in CommendationKind] == [Decimal(1_000_000), 2, 5]
