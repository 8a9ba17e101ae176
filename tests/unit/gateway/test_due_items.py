"""The due-items read model: what the deadline engine raised, once per subject, kind and due day."""

from __future__ import annotations

from datetime import date

from services.gateway.readmodels import due_items
from services.membership.contract.events import DeadlineRaised
from tests.unit.gateway.builders import Q, envelope, event, row, target


def test_a_raised_deadline_is_upserted_and_an_overdue_item_stays_overdue() -> None:
    raised = event(DeadlineRaised, subject_id="p-1", org_id="b-1", kind="interview_due", due_on=date(2024, 4, 1),
                   overdue=True)
    ops = due_items.apply(Q, envelope(11), raised)
    sql = ops[0][0]
    assert target(ops[0]) == "due_items_view"
    assert row(ops[0])["kind"] == "interview_due" and row(ops[0])["overdue"] is True
    assert "ON CONFLICT (subject_id, kind, due_on)" in sql
    assert f"overdue = EXCLUDED.overdue OR {Q}.due_items_view.overdue" in sql
