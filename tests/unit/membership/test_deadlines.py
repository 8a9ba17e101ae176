"""The deadline engine raises each due item once, and again only when it becomes overdue."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from services.kernel.handling import fold
from services.membership.deadlines import subjects
from services.membership.domain import branches, deadlines
from services.membership.domain.deadlines import RaiseDueItems
from services.membership.handlers.policies import Policies
from services.membership.policy.book import POLICY_BOOK
from services.membership.policy.dues import DEFAULT_DUES_POLICY
from services.pure.due import DueItem
from services.pure.identity import Actor, Role
from services.pure.policy_data import PublishPolicyChange, decide_publish


def run(state: deadlines.Deadlines, today: date, *items: DueItem) -> tuple[deadlines.Deadlines, list[str]]:
    events = deadlines.decide(state, RaiseDueItems(subject_id="m-1", subject_type="member", org_id="b-1",
                                                   today=today, items=items))
    return fold(deadlines.evolve, state, events), [f"{e.kind}@{e.due_on}{'!' if e.overdue else ''}" for e in events]


def test_a_due_item_is_raised_once_however_often_the_engine_runs() -> None:
    item = DueItem(kind="interview_due", due_on=date(2026, 3, 1), subject_id="m-1")
    state, first = run(deadlines.INITIAL, date(2026, 2, 1), item)
    state, second = run(state, date(2026, 2, 2), item)
    assert first == ["interview_due@2026-03-01"] and second == []


def test_an_item_is_raised_again_when_it_becomes_overdue() -> None:
    due = DueItem(kind="interview_due", due_on=date(2026, 3, 1), subject_id="m-1")
    late = DueItem(kind="interview_due", due_on=date(2026, 3, 1), subject_id="m-1", overdue=True)
    state, _ = run(deadlines.INITIAL, date(2026, 2, 1), due)
    _, raised = run(state, date(2026, 3, 2), late)
    assert raised == ["interview_due@2026-03-01!"]


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.dates(), st.booleans()), max_size=30))
def test_replaying_the_same_items_in_any_order_raises_nothing_new(raw: list[tuple[str, date, bool]]) -> None:
    items = [DueItem(kind=k, due_on=d, subject_id="m-1", overdue=o) for k, d, o in raw]
    state, first = run(deadlines.INITIAL, date(2026, 1, 1), *items)
    _, again = run(state, date(2026, 1, 2), *reversed(items))
    assert again == [] and len(first) == len({(k, d, o) for k, d, o in raw})


def test_the_engine_raises_by_the_policy_the_county_published_from_its_day_on() -> None:
    """A shorter election reminder published for 2027 (30 days instead of 90): an election due on 15 March 2027
    is reminded of on 31 December 2026 by the old policy, and no longer on 2 January 2027 by the new one."""
    change = decide_publish((), PublishPolicyChange(
        actor=Actor(subject="admin", role=Role.COUNTY_ADMIN), today=date(2026, 12, 1), policy="organisation",
        effective_from=date(2027, 1, 1), changes={"election_reminder_days": 30}, reason="county rule 2027"),
        POLICY_BOOK)
    branch = replace(branches.INITIAL, exists=True, org_id="b-1", due_on=date(2027, 3, 15))
    [published_kind] = [s for s in subjects(DEFAULT_DUES_POLICY, Policies(published=tuple(change)))
                        if s.stream_type == "branch"]
    [code_kind] = [s for s in subjects(DEFAULT_DUES_POLICY) if s.stream_type == "branch"]
    assert [i.kind for i in published_kind.due_items(branch, date(2026, 12, 31))] == ["election_due"]
    assert published_kind.due_items(branch, date(2027, 1, 2)) == []
    assert [i.kind for i in code_kind.due_items(branch, date(2027, 1, 2))] == ["election_due"]
