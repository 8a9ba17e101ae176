"""The deadline engine raises each due item once, and again only when it becomes overdue."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from services.kernel.handling import fold
from services.membership.domain import deadlines
from services.membership.domain.deadlines import RaiseDueItems
from services.pure.due import DueItem


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
