"""The dues read model: each member's months (assessed and paid) and each payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import orjson

from services.gateway.readmodels import dues
from services.membership.contract.events.dues import (
    ClosingReason,
    DuesAccountClosed,
    DuesAccountOpened,
    DuesAccountReopened,
    DuesContinuedAfterTransfer,
    DuesPaid,
    MonthAllocation,
    MonthAssessed,
)
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


def test_a_received_transfer_moves_the_account_and_the_months_it_takes_over_but_not_those_paid_before() -> None:
    ops = dues.apply(Q, envelope(11), event(DuesContinuedAfterTransfer, member_id="m-1", from_org_id="b-1",
                                            to_org_id="b-2", continues_from="2024-04", letter_number="L-7",
                                            moved_months=("2024-04",)))
    assert [target(op) for op in ops] == ["dues_accounts_view", "dues_months_view"]
    account = row(ops[0])
    assert (account["member_id"], account["org_id"], account["owed_from"], account["previous_org_ids"]) == (
        "m-1", "b-2", "2024-04", ["b-1"])
    assert f"previous_org_ids = {Q}.dues_accounts_view.previous_org_ids || EXCLUDED.previous_org_ids" in ops[0][0]
    # Only the assessed months still unpaid after the last paid one change hands; March stays with b-1.
    assert ops[1][1] == ("m-1", "2024-04", "b-2", 11)


def test_an_opened_account_is_kept_by_the_organisation_that_opened_it() -> None:
    ops = dues.apply(Q, envelope(3), event(DuesAccountOpened, member_id="m-1", org_id="b-1", owed_from="2024-01"))
    assert [target(op) for op in ops] == ["dues_accounts_view"] and row(ops[0])["org_id"] == "b-1"
    assert "DO NOTHING" in ops[0][0]


def test_a_closed_account_shows_the_month_it_closed_in_and_why() -> None:
    ops = dues.apply(Q, envelope(12), event(DuesAccountClosed, member_id="m-1", last_month="2024-05",
                                            reason=ClosingReason.DIED, closed_on=date(2024, 5, 20),
                                            cancelled_months=()))
    assert target(ops[0]) == "dues_accounts_view"
    assert "closed_in = $2, closed_reason = $3, closed_on = $4" in ops[0][0]
    assert ops[0][1] == ("m-1", "2024-05", "died", date(2024, 5, 20), 12)
    assert dues.DuesAccountClosed in dues.EVENTS


def test_months_assessed_after_the_closing_month_are_owed_by_nobody_but_what_was_paid_stays() -> None:
    ops = dues.apply(Q, envelope(13), event(DuesAccountClosed, member_id="m-1", last_month="2024-05",
                                            reason=ClosingReason.REMOVED, cancelled_months=("2024-06", "2024-07")))
    deleted, cleared = ops[1], ops[2]
    assert deleted[0].startswith(f"DELETE FROM {Q}.dues_months_view") and "paid = 0" in deleted[0]
    assert deleted[1] == ("m-1", ["2024-06", "2024-07"])
    assert target(cleared) == "dues_months_view" and "amount = NULL" in cleared[0] and "paid =" not in cleared[0]
    assert cleared[1] == ("m-1", ["2024-06", "2024-07"], 13)


def test_a_reopened_account_shows_open_again_at_the_receiving_organisation_with_the_gap_in_its_history() -> None:
    ops = dues.apply(Q, envelope(14), event(DuesAccountReopened, member_id="m-1", org_id="b-2", from_org_id="b-1",
                                            closed_in="2024-04", closed_reason=ClosingReason.TRANSFERRED_OUT,
                                            reopened_from="2024-08", received_on=date(2024, 8, 5),
                                            letter_number="L-9"))
    [(sql, args)] = ops
    assert target(ops[0]) == "dues_accounts_view" and dues.DuesAccountReopened in dues.EVENTS
    assert "closed_in = NULL, closed_reason = NULL, closed_on = NULL" in sql  # shown open again
    assert "gaps = gaps || $6::jsonb" in sql and "previous_org_ids = previous_org_ids || $3::text[]" in sql
    assert args[:5] == ("m-1", "b-2", ["b-1"], "2024-08", "L-9") and args[6] == 14
    assert orjson.loads(args[5]) == [{"closed_in": "2024-04", "closed_reason": "transferred_out",
                                      "reopened_from": "2024-08", "reopened_on": "2024-08-05",
                                      "letter_number": "L-9"}]
    assert "gaps jsonb NOT NULL DEFAULT '[]'" in dues.DDL


def test_an_account_reopened_where_it_was_kept_does_not_list_that_organisation_as_a_previous_keeper() -> None:
    [(_, args)] = dues.apply(Q, envelope(15), event(DuesAccountReopened, member_id="m-1", org_id="b-1",
                                                    from_org_id="b-1", received_on=date(2024, 8, 5),
                                                    closed_reason=ClosingReason.TRANSFERRED_OUT))
    assert args[2] == []
