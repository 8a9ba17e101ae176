"""The dues read model: each member's months (assessed and paid) and each payment."""

from __future__ import annotations

from decimal import Decimal

from services.gateway.readmodels import dues
from services.membership.contract.events.dues import DuesPaid, MonthAllocation, MonthAssessed
from tests.unit.gateway.builders import Q, envelope, event, row, target


def test_an_assessed_month_is_upserted_without_touching_what_was_paid() -> None:
    ops = dues.apply(Q, envelope(8), event(MonthAssessed, member_id="m-1", month="2024-03", org_id="b-1",
                                           amount=Decimal("12.50"), standard_amount=Decimal("12.50")))
    sql = ops[0][0]
    inserted = row(ops[0])
    assert target(ops[0]) == "dues_months_view"
    assert (inserted["member_id"], inserted["month"], inserted["amount"]) == ("m-1", "2024-03", Decimal("12.50"))
    assert "ON CONFLICT (member_id, month) DO UPDATE" in sql and "paid" not in sql.split("DO UPDATE")[1]


def test_a_payment_is_recorded_once_and_adds_to_each_month_it_covers() -> None:
    allocations = (event(MonthAllocation, month="2024-03", amount=Decimal("10")),
                   event(MonthAllocation, month="2024-04", amount=Decimal("2.5")))
    ops = dues.apply(Q, envelope(9), event(DuesPaid, payment_id="pay-1", member_id="m-1", org_id="b-1",
                                           amount=Decimal("12.5"), allocations=allocations))
    assert [target(op) for op in ops] == ["dues_payments_view", "dues_months_view", "dues_months_view",
                                          "dues_allocations_view", "dues_allocations_view"]
    assert row(ops[0])["months"] == ["2024-03", "2024-04"]
    assert [(row(op)["month"], row(op)["paid"]) for op in ops[1:3]] == [("2024-03", Decimal("10")),
                                                                        ("2024-04", Decimal("2.5"))]
    # Each month's share on the payment's day: the ledger by effective day sums only those paid by then.
    assert [(row(op)["payment_id"], row(op)["month"], row(op)["amount"]) for op in ops[3:]] == [
        ("pay-1", "2024-03", Decimal("10")), ("pay-1", "2024-04", Decimal("2.5"))]
    assert f"paid = {Q}.dues_months_view.paid + EXCLUDED.paid" in ops[1][0]


def test_a_payment_of_no_months_records_only_the_payment() -> None:
    ops = dues.apply(Q, envelope(), event(DuesPaid, payment_id="pay-2", allocations=()))
    assert [target(op) for op in ops] == ["dues_payments_view"]
