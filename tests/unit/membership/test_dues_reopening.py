"""A member who transferred out of the county and came back (回归) has their dues account reopened, history kept:
the months owed before the closing stay owed and payable, the months between the closing month and the reopening
month are a gap owed by nobody here (refused, never counted, never run), and dues are owed again from the reopening
month — the month after the returning letter's "paid up to", never before the month after the closing month.
A death never reopens; a removed member rejoins through development as a new person (a new id), so never here.

Hand-checkable: a wage earner at 4000.00 pays 1 % = 40.00 a month. The story: owed from 2025-01 at b-1, received
by an organisation outside the county on 2025-04-10 (closed in 2025-04), back with a transfer received by b-2 on
2025-08-05 on a letter paid up to 2025-07: reopened from 2025-08, the gap is 2025-05 to 2025-07.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.events import EventRegistry
from services.membership.contract.commands.dues import (
    ApproveExemption,
    AssessMonth,
    ContinueAfterTransfer,
    DeclareIncome,
    RecordValidReason,
)
from services.membership.contract.events.common import DuesCategory
from services.membership.contract.events.dues import (
    EVENTS,
    ClosingReason,
    DuesAccountReopened,
    DuesPaid,
    MonthAssessed,
)
from services.membership.contract.events.transfers import TransferReceived
from services.membership.domain import dues
from services.membership.domain.dues import DuesAccount, ageing, due_items, dues_paid_up_to
from services.membership.domain.dues_account import follow_reception
from services.membership.domain.dues_ledger import expected_vs_paid, statement
from services.membership.domain.dues_state import ended_in, owed
from services.membership.policy.dues import DEFAULT_DUES_POLICY
from services.pure.dates import month_of, months_from, shift_month
from services.pure.errors import AlreadyExists, DomainError, StateConflict
from tests.unit.membership.test_dues import COUNTY, MEMBER, account, c, pay, run
from tests.unit.membership.test_dues_closing import closed, died, received, removed

D = Decimal
LEFT = date(2025, 4, 10)
BACK = date(2025, 8, 5)
GAP = ("2025-05", "2025-06", "2025-07")


def back(**o: Any) -> ContinueAfterTransfer:
    """The receiving branch b-2 continues the dues of the member it received on ``BACK`` with letter L-9."""
    return c(ContinueAfterTransfer, **{"actor": COUNTY, "to_org_id": "b-2", "letter_number": "L-9",
                                       "paid_up_to": "2025-07", "received_on": BACK, **o})


def left(state: DuesAccount | None = None, on: date = LEFT) -> DuesAccount:
    return closed(state or account(owed_from="2025-01"), received(on, outside=True))[0]


def reopened(state: DuesAccount | None = None, **o: Any) -> tuple[DuesAccount, list[Any]]:
    return run(back(**o), state=state or left(), letter_received_by="b-2")


# --- the reopening ---------------------------------------------------------------------------------------------

def test_a_member_who_transferred_out_and_came_back_has_their_account_reopened_at_the_receiving_organisation() -> None:
    state, (event,) = reopened()
    assert isinstance(event, DuesAccountReopened)
    assert (event.org_id, event.from_org_id, event.closed_in, event.closed_reason, event.reopened_from) == (
        "b-2", "b-1", "2025-04", ClosingReason.TRANSFERRED_OUT, "2025-08")
    assert (event.category, event.base) == (DuesCategory.WAGE_EARNER, D("4000.00"))  # the last known income
    assert state.closed is None and state.org_id == "b-2" and state.previous_org_ids == ("b-1",)
    assert state.owed_from == "2025-01"  # the history stays
    [gap] = state.gaps
    assert (gap.closed.last_month, gap.reopened_from, gap.letter_number) == ("2025-04", "2025-08", "L-9")
    assert [m for m in months_from("2025-01", "2025-12") if not owed(state, m)] == list(GAP)


def test_the_reopening_event_survives_the_wire_unchanged() -> None:
    registry: EventRegistry[Any] = EventRegistry(source="/test", events=EVENTS)
    _, (event,) = reopened()
    assert registry.decode("gb.membership.dues_account_reopened.v1", registry.encode(event)) == event


@pytest.mark.parametrize(("paid_up_to", "reopened_from"), [
    ("2025-07", "2025-08"),  # the letter: paid outside up to July
    ("2025-02", "2025-05"),  # a letter older than the closing: never before the month after the closing month
    ("2025-04", "2025-05"),  # paid up to the closing month: continues at once, no gap
    ("2025-12", "2026-01"),  # paid ahead outside: owed here again from January
])
def test_the_account_is_owed_again_from_the_month_after_the_letter_but_never_before_the_month_after_the_closing(
    paid_up_to: str, reopened_from: str
) -> None:
    state, (event,) = reopened(paid_up_to=paid_up_to)
    assert event.reopened_from == reopened_from
    gap = months_from("2025-05", shift_month(reopened_from, -1)) if reopened_from > "2025-05" else []
    assert [m for m in months_from("2025-01", "2026-03") if not owed(state, m)] == gap


def test_a_new_category_and_base_apply_from_the_reopening_month() -> None:
    state, (event,) = reopened(category=DuesCategory.WAGE_EARNER, base=D("6000.00"))
    assert event.base == D("6000.00")
    (april,) = dues.decide(state, c(AssessMonth, actor=COUNTY, month="2025-04"))
    (august,) = dues.decide(state, c(AssessMonth, actor=COUNTY, month="2025-08"))
    assert isinstance(april, MonthAssessed) and isinstance(august, MonthAssessed)
    assert (april.amount, april.org_id, august.amount, august.org_id) == (D("40.00"), "b-2", D("90.00"), "b-2")


def test_a_death_never_reopens_and_a_removal_does_not_either() -> None:
    for ending, why in ((died(LEFT), "a death is final"), (removed(LEFT), "rejoin through development")):
        state = closed(account(owed_from="2025-01"), ending)[0]
        with pytest.raises(StateConflict, match=why) as refused:
            reopened(state)
        assert refused.value.status == 409 and refused.value.extra["closed_in"] == "2025-04"


def test_a_return_is_reopened_once_and_only_after_the_account_closed() -> None:
    state, _ = reopened()
    with pytest.raises(AlreadyExists, match="L-9"):
        reopened(state)
    with pytest.raises(DomainError, match="before the account closed"):
        reopened(received_on=date(2025, 4, 1), today=BACK)


def test_the_reception_of_the_return_moves_nothing_and_a_later_transfer_out_closes_the_account_again() -> None:
    state, _ = reopened()
    back_here = TransferReceived(member_id=MEMBER, transfer_id="t-2", letter_number="L-9", received_on=BACK,
                                 from_org_id="ext-hz-1", to_org_id="b-2", to_external=None, certificate_closed=None,
                                 actor="county_admin:ca", receiving_org_id="b-2")
    assert follow_reception(state, back_here, DEFAULT_DUES_POLICY, actor="x") == []
    again, (closing,) = closed(state, received(date(2025, 11, 3), outside=True))
    assert (closing.last_month, again.closed is not None, len(again.gaps)) == ("2025-11", True, 1)


def test_months_a_late_closing_cancelled_are_assessed_afresh_by_the_receiving_organisation_after_the_return() -> None:
    # May and June were assessed before the reception outside (10 April) was recorded: the closing cancelled them.
    state, _ = run(*(c(AssessMonth, actor=COUNTY, month=m) for m in ("2025-04", "2025-05", "2025-06")),
                   state=account(owed_from="2025-01"))
    state, (closing,) = closed(state, received(LEFT, outside=True))
    assert closing.cancelled_months == ("2025-05", "2025-06")
    state, _ = reopened(state, paid_up_to="2025-04")  # back at once: owed again from May
    (may,) = dues.decide(state, c(AssessMonth, actor=COUNTY, month="2025-05"))
    assert isinstance(may, MonthAssessed) and may.org_id == "b-2"
    assert ageing(state, date(2025, 5, 31)).amount_owed == D("40.00") * 4  # January to April; May not yet over


# --- the gap: refused, never counted ---------------------------------------------------------------------------

def test_a_month_in_the_gap_is_never_assessed_and_the_answer_says_when_it_closed_and_reopened() -> None:
    state, _ = reopened()
    for m in GAP:
        with pytest.raises(StateConflict, match=r"closed in 2025-04 .* reopened from 2025-08") as refused:
            dues.decide(state, c(AssessMonth, actor=COUNTY, month=m))
        assert refused.value.status == 409
        assert refused.value.extra == {"closed_in": "2025-04", "reason": "transferred_out",
                                       "reopened_from": "2025-08"}
    assert dues.decide(state, c(AssessMonth, actor=COUNTY, month="2025-04"))  # the closing month: still owed
    assert dues.decide(state, c(AssessMonth, actor=COUNTY, month="2025-08"))  # the reopening month: owed again


@pytest.mark.parametrize("command", [
    c(DeclareIncome, actor=COUNTY, from_month="2025-06", base=D("5000.00")),
    c(ApproveExemption, actor=COUNTY, approval_id="x", from_month="2025-06", until_month=None, reason="illness",
      branch_studied_on=date(2025, 7, 1)),
    c(RecordValidReason, actor=COUNTY, from_month="2025-06", reason="illness"),
    pay(("2025-06",), "40.00", actor=COUNTY),
], ids=["income", "relief", "valid reason", "payment"])
def test_nothing_is_recorded_for_a_month_in_the_gap(command: Any) -> None:
    with pytest.raises(StateConflict, match="reopened from 2025-08"):
        dues.decide(reopened()[0], command, next_higher_org_id="township-a")


def test_arrears_before_the_closing_stay_payable_but_one_payment_never_spans_the_gap() -> None:
    state, _ = reopened()
    with pytest.raises(StateConflict, match="reopened from 2025-08"):
        dues.decide(state, pay(tuple(months_from("2025-04", "2025-08")), "200.00", actor=COUNTY, branch_consent=True))
    state, events = run(pay(tuple(months_from("2025-01", "2025-04")), "160.00", actor=COUNTY, branch_consent=True),
                        state=state)
    assert isinstance(events[-1], DuesPaid) and sorted(state.paid) == months_from("2025-01", "2025-04")
    # The oldest unpaid month is now the reopening month: the gap holds nothing to pay first.
    state, _ = run(pay(("2025-08",), "40.00", actor=COUNTY), state=state)
    assert dues_paid_up_to(state, date(2025, 8, 31)) == "2025-08"  # the letter a next transfer would state


def test_the_ageing_and_the_due_items_never_count_the_gap_nor_run_across_it() -> None:
    state, _ = reopened()
    on = date(2025, 12, 31)
    aged = ageing(state, on)
    assert aged.unpaid_months == (*months_from("2025-01", "2025-04"), *months_from("2025-08", "2025-11"))
    assert aged.amount_owed == D("40.00") * 8
    # Four months in a row before the gap and four after: a run of four, not eight (no lapse review at six).
    assert aged.consecutive_unpaid == 4
    assert {i.kind for i in due_items(state, on)} == {"dues_reminder"}
    [reminder] = due_items(state, on)
    assert reminder.due_on == date(2025, 11, 1)  # three months from August, not from January


def test_the_statement_and_the_ledger_show_no_month_of_the_gap() -> None:
    state, assessed = run(*(c(AssessMonth, actor=COUNTY, month=m) for m in ("2025-03", "2025-04")),
                          state=account(owed_from="2025-03"))
    state, closing = closed(state, received(LEFT, outside=True))
    state, back_events = reopened(state)
    state, later = run(*(c(AssessMonth, actor=COUNTY, month=m) for m in ("2025-08", "2025-09")), state=state)
    assert [line.month for line in statement(state, date(2025, 9, 30))] == [
        "2025-03", "2025-04", "2025-08", "2025-09"]
    events = [*assessed, *closing, *back_events, *later]
    months = months_from("2025-03", "2025-09")
    by_b1 = {r.month: r.expected for r in expected_vs_paid(events, "b-1", months)}
    by_b2 = {r.month: r.expected for r in expected_vs_paid(events, "b-2", months)}
    assert {m for m, v in by_b1.items() if v} == {"2025-03", "2025-04"}  # owed to b-1 before it closed
    assert {m for m, v in by_b2.items() if v} == {"2025-08", "2025-09"}  # owed to b-2 after the return
    assert all(by_b1[m] == by_b2[m] == 0 for m in GAP)


def test_the_monthly_run_skips_a_month_in_the_gap_as_not_owed() -> None:
    state, _ = reopened()
    assert [m for m in months_from("2025-01", "2025-12") if ended_in(state, m)] == list(GAP)


def test_months_paid_ahead_before_the_closing_that_fall_in_the_gap_do_not_count_as_paid_ahead() -> None:
    # Paid April to September on 5 April (one month and five ahead), then received outside on 10 April; back on
    # a letter paid up to December (paid ahead outside), so owed here again from January 2026.
    state, _ = run(pay(tuple(months_from("2025-01", "2025-09")), "360.00", actor=COUNTY, branch_consent=True,
                       paid_on=date(2025, 4, 5)), state=account(owed_from="2025-01"))
    state, _ = reopened(left(state), paid_up_to="2025-12")
    # On 10 August, six months ahead: September (paid before, but in the gap) is not one of them.
    state, _ = run(pay(tuple(months_from("2026-01", "2026-06")), "240.00", actor=COUNTY, branch_consent=True,
                       paid_on=date(2025, 8, 10)), state=state)
    assert "2026-06" in state.paid


# --- the rule's edges ------------------------------------------------------------------------------------------

@given(owed_from=st.dates(date(2024, 1, 1), date(2025, 3, 31)).map(month_of),
       left_on=st.dates(date(2024, 1, 1), date(2025, 6, 30)), away=st.integers(0, 6),
       letter=st.integers(-8, 8), probe=st.integers(-10, 10))
def test_a_month_is_owed_up_to_the_closing_month_and_from_the_reopening_month_exactly(
    owed_from: str, left_on: date, away: int, letter: int, probe: int
) -> None:
    left_on = max(left_on, date.fromisoformat(f"{owed_from}-01"))
    closed_in = month_of(left_on)
    back_on = max(date.fromisoformat(f"{shift_month(closed_in, away)}-28"), left_on)
    paid_up_to = shift_month(closed_in, letter)
    state, (event,) = reopened(left(account(owed_from=owed_from), left_on), paid_up_to=paid_up_to,
                               received_on=back_on)
    expected_from = max(shift_month(paid_up_to, 1), shift_month(closed_in, 1))
    assert event.reopened_from == expected_from
    m = shift_month(closed_in, probe)
    in_gap = closed_in < m < expected_from
    assert owed(state, m) == (m >= owed_from and not in_gap)
    assert ended_in(state, m) == in_gap
    if owed_from <= m <= "2025-12":
        if in_gap:
            with pytest.raises(StateConflict, match=f"closed in {closed_in}"):
                dues.decide(state, c(AssessMonth, actor=COUNTY, month=m))
        else:
            assert dues.decide(state, c(AssessMonth, actor=COUNTY, month=m))
    aged = ageing(state, date(2025, 12, 31))
    assert not any(closed_in < u < expected_from for u in aged.unpaid_months)
    # Nothing is paid: the run ends at November and reaches back to the reopening month, or, when no month was
    # skipped (back at once), through the closing month to the first owed month.
    start = owed_from if expected_from == shift_month(closed_in, 1) else expected_from
    assert aged.consecutive_unpaid == (len(months_from(start, "2025-11")) if start <= "2025-11" else 0)
