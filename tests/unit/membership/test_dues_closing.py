"""A dues account closes when the membership ends (death, removal, a transfer received outside the county): dues
are owed up to and including that month and never after — no assessment, income, relief, payment, reminder or
lapse review for a later month, and the monthly run skips the account; what was owed before stays owed.

Hand-checkable: a wage earner at 4000.00 pays 1 % = 40.00 a month.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.events import EventRegistry
from services.membership import dues_reactions, dues_run
from services.membership.contract.commands.dues import (
    ApproveExemption,
    AssessMonth,
    ContinueAfterTransfer,
    DeclareIncome,
    RecordValidReason,
)
from services.membership.contract.events import REGISTRY
from services.membership.contract.events.common import DuesCategory
from services.membership.contract.events.development import ProbationCancelled
from services.membership.contract.events.dues import EVENTS, ClosingReason, DuesAccountClosed, MonthAssessed
from services.membership.contract.events.members import MemberDied, MembershipRemoved, RemovalGround
from services.membership.contract.events.transfers import ExternalOrganisation, TransferReceived
from services.membership.domain import dues
from services.membership.domain.dues import DuesAccount, ageing, due_items
from services.membership.domain.dues_account import follow_reception
from services.membership.domain.dues_closing import close_on_ending
from services.membership.domain.dues_ledger import expected_vs_paid, statement
from services.membership.domain.dues_state import ended_in
from services.membership.policy.dues import DEFAULT_DUES_POLICY
from services.pure.dates import month_of, months_from, shift_month
from services.pure.errors import StateConflict
from tests.unit.membership.test_dues import COUNTY, MEMBER, TODAY, account, c, pay, run

D = Decimal
OUTSIDE = ExternalOrganisation(org_id="ext-hz-1", name="杭州某党支部", address="杭州市西湖区")


def died(on: date) -> MemberDied:
    return MemberDied(member_id=MEMBER, died_on=on, actor="branch_secretary:sec", recording_org_id="b-1")


def removed(on: date) -> MembershipRemoved:
    return MembershipRemoved(member_id=MEMBER, removed_on=on, ground=next(iter(RemovalGround)), decided_on=on,
                             deciding_org_id="b-1", actor="township_committee:tc", approving_org_id="township-a")


def probation_cancelled(on: date) -> ProbationCancelled:
    return ProbationCancelled(person_id=MEMBER, org_id="b-1", vote_on=on, approved_on=on, late=False,
                              actor="township_committee:tc", approving_org_id="township-a", policy_version="p-1")


def received(on: date, *, outside: bool) -> TransferReceived:
    return TransferReceived(member_id=MEMBER, transfer_id="t-1", letter_number="L-1", received_on=on,
                            from_org_id="b-1", to_org_id=OUTSIDE.org_id if outside else "b-2",
                            to_external=OUTSIDE if outside else None, certificate_closed=None,
                            actor="county_admin:ca", receiving_org_id="b-2")


def closed(state: DuesAccount, event: Any) -> tuple[DuesAccount, list[DuesAccountClosed]]:
    events = close_on_ending(state, event, cause_id="e-1", actor="branch_secretary:sec")
    for e in events:
        state = dues.evolve(state, e)
    return state, events


# --- the close rule -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("event", "reason", "last"), [
    (died(date(2025, 6, 30)), ClosingReason.DIED, "2025-06"),
    (removed(date(2025, 7, 1)), ClosingReason.REMOVED, "2025-07"),
    # A probationary member's qualification cancelled: removed, as the member's status says (before: no closing).
    (probation_cancelled(date(2025, 9, 3)), ClosingReason.REMOVED, "2025-09"),
    (received(date(2025, 8, 15), outside=True), ClosingReason.TRANSFERRED_OUT, "2025-08"),
])
def test_the_account_closes_with_the_month_the_membership_ended_and_why(
    event: Any, reason: ClosingReason, last: str
) -> None:
    state, (closing,) = closed(account(owed_from="2025-01"), event)
    assert (closing.member_id, closing.org_id, closing.last_month, closing.reason, closing.cause_id) == (
        MEMBER, "b-1", last, reason, "e-1")
    assert state.closed is not None and (state.closed.last_month, state.closed.reason) == (last, reason)


def test_a_transfer_within_the_county_moves_the_account_and_does_not_close_it() -> None:
    state = account(owed_from="2025-01")
    assert closed(state, received(date(2025, 8, 15), outside=False))[1] == []
    assert follow_reception(state, received(date(2025, 8, 15), outside=False), DEFAULT_DUES_POLICY, actor="x")


def test_nothing_closes_without_an_account_and_a_closed_account_closes_once() -> None:
    assert closed(dues.INITIAL, died(date(2025, 6, 1)))[1] == []
    state, _ = closed(account(owed_from="2025-01"), removed(date(2025, 6, 1)))
    assert closed(state, died(date(2025, 9, 1)))[1] == []  # the first ending decided
    # A closed account is not moved by a later reception either.
    assert follow_reception(state, received(date(2025, 9, 1), outside=False), DEFAULT_DUES_POLICY, actor="x") == []


def test_months_assessed_after_a_death_recorded_late_are_no_longer_owed() -> None:
    state, _ = run(*(c(AssessMonth, month=m) for m in ("2025-05", "2025-06", "2025-07")),
                   state=account(owed_from="2025-05"))
    state, (closing,) = closed(state, died(date(2025, 5, 20)))
    assert closing.cancelled_months == ("2025-06", "2025-07")
    assert ageing(state, date(2025, 12, 31)).unpaid_months == ("2025-05",)
    assert ageing(state, date(2025, 12, 31)).amount_owed == D("40.00")


def test_the_closing_event_survives_the_wire_unchanged() -> None:
    registry: EventRegistry[Any] = EventRegistry(source="/test", events=EVENTS)
    _, (closing,) = closed(account(owed_from="2025-01"), received(date(2025, 8, 15), outside=True))
    assert registry.decode("gb.membership.dues_account_closed.v1", registry.encode(closing)) == closing


# --- refusals after the closing month -------------------------------------------------------------------

def dead_in_june() -> DuesAccount:
    return closed(account(owed_from="2025-01"), died(date(2025, 6, 14)))[0]


def test_a_month_after_the_closing_month_is_never_assessed_and_the_answer_says_why() -> None:
    with pytest.raises(StateConflict, match=r"closed in 2025-06 \(the member died on 2025-06-14\)") as refused:
        dues.decide(dead_in_june(), c(AssessMonth, month="2025-07"))
    assert refused.value.status == 409 and refused.value.extra == {"closed_in": "2025-06", "reason": "died"}
    (june,) = dues.decide(dead_in_june(), c(AssessMonth, month="2025-06"))  # the closing month is still owed
    assert isinstance(june, MonthAssessed) and june.amount == D("40.00")


@pytest.mark.parametrize("command", [
    c(DeclareIncome, from_month="2025-07", base=D("5000.00")),
    c(ApproveExemption, actor=COUNTY, approval_id="x", from_month="2025-07", until_month=None, reason="illness",
      branch_studied_on=date(2025, 7, 1)),
    c(RecordValidReason, from_month="2025-07", reason="illness"),
    pay(("2025-06", "2025-07"), "80.00"),
], ids=["income", "relief", "valid reason", "payment"])
def test_nothing_is_recorded_for_a_month_after_the_closing_month(command: Any) -> None:
    with pytest.raises(StateConflict, match="closed in 2025-06"):
        dues.decide(dead_in_june(), command, next_higher_org_id="township-a")


def test_arrears_up_to_the_closing_month_are_still_paid_after_it_closed() -> None:
    months = ("2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06")
    state, events = run(pay(months, "240.00"), state=dead_in_june())
    assert sorted(state.paid) == list(months) and ageing(state, date(2025, 12, 31)).amount_owed == 0
    assert len(events) > 1


@given(owed_from=st.dates(date(2020, 1, 1), date(2025, 6, 30)).map(month_of),
       ended=st.dates(date(2020, 1, 1), date(2025, 11, 30)), later=st.integers(-14, 14),
       why=st.sampled_from(["died", "removed", "transferred_out"]))
def test_a_month_is_assessable_exactly_up_to_the_month_the_membership_ended(
    owed_from: str, ended: date, later: int, why: str
) -> None:
    event = {"died": died, "removed": removed,
             "transferred_out": lambda on: received(on, outside=True)}[why](ended)
    state, _ = closed(account(owed_from=owed_from), event)
    m = shift_month(month_of(ended), later)
    if m < owed_from or m > "2025-12":
        return  # refused for other reasons: not owed yet, or not begun
    if later > 0:
        with pytest.raises(StateConflict, match=f"closed in {month_of(ended)}"):
            dues.decide(state, c(AssessMonth, month=m))
    else:
        assert dues.decide(state, c(AssessMonth, month=m))


# --- arrears, due items and the statement ---------------------------------------------------------------

def test_a_closed_account_keeps_its_arrears_visible_but_raises_no_reminder_or_lapse_review() -> None:
    on = date(2025, 12, 31)
    open_account = account(owed_from="2025-01")
    assert {i.kind for i in due_items(open_account, on)} == {"dues_reminder", "lapse_review"}  # 11 months unpaid
    state = dead_in_june()
    aged = ageing(state, on)
    assert aged.unpaid_months == tuple(months_from("2025-01", "2025-06"))
    assert (aged.consecutive_unpaid, aged.amount_owed) == (6, D("240.00"))
    assert due_items(state, on) == []


@given(death=st.dates(date(2025, 1, 1), date(2026, 12, 31)), on=st.dates(date(2025, 1, 1), date(2027, 12, 31)))
def test_no_month_after_the_closing_month_is_ever_counted_as_owed(death: date, on: date) -> None:
    on = max(on, death)
    state = closed(account(owed_from="2025-01"), died(death))[0]
    aged = ageing(state, on)
    assert all(m <= month_of(death) for m in aged.unpaid_months)
    assert aged.amount_owed == D("40.00") * len(aged.unpaid_months)
    assert all(line.month <= month_of(death) for line in statement(state, on))
    assert due_items(state, on) == []


def test_the_ledger_no_longer_expects_the_months_cancelled_by_the_closing() -> None:
    state, assessed = run(*(c(AssessMonth, month=m) for m in ("2025-05", "2025-06")),
                          state=account(owed_from="2025-05"))
    _, closing = closed(state, died(date(2025, 5, 2)))
    rows = expected_vs_paid([*assessed, *closing], "b-1", ["2025-05", "2025-06"])
    assert [(r.month, r.expected) for r in rows] == [("2025-05", D("40.00")), ("2025-06", D(0))]


# --- the monthly run and the reaction -------------------------------------------------------------------

def test_the_monthly_run_skips_an_account_closed_before_the_month_and_says_why() -> None:
    state = dead_in_june()
    assert ended_in(state, "2025-07") and not ended_in(state, "2025-06")
    assert not ended_in(account(owed_from="2025-01"), "2025-07")
    assert dues_run.RunResult(month="2025-07", accounts=2, assessed=1, skipped=1, seconds=0.1, closed=1).closed == 1


def test_the_closing_reaction_has_its_own_checkpoint_per_fact_beside_the_receptions() -> None:
    assert dues_reactions.RECEPTION.mark == "dues"  # the mark and keys the reception always had
    assert dues_reactions.CLOSING.mark != dues_reactions.RECEPTION.mark
    assert dues_reactions.CLOSING.key_prefix != dues_reactions.RECEPTION.key_prefix
    assert set(dues_reactions.CLOSING.types) == {"gb.membership.member_died.v1",
                                                 "gb.membership.membership_removed.v1",
                                                 "gb.membership.probation_cancelled.v1",
                                                 "gb.membership.transfer_received.v1"}
    # Each wire name is one the membership registry knows (a typo would make the sweep look for nothing).
    assert set(dues_reactions.CLOSING.types) <= set(REGISTRY.names())


def test_a_death_recorded_today_closes_with_this_month() -> None:
    state, (closing,) = closed(account(owed_from="2025-01"), died(date(2025, 12, 31)))
    assert closing.last_month == "2025-12"
    assert dues.decide(state, c(AssessMonth, month="2025-12"))


def test_an_account_closed_by_a_death_is_not_reopened_by_a_continuation() -> None:
    # A transfer out is undone by a return (tests/unit/membership/test_dues_reopening.py); a death never is.
    state = closed(account(owed_from="2025-01"), died(date(2025, 8, 15)))[0]
    with pytest.raises(StateConflict, match=r"closed in 2025-08 \(died\); it is not reopened: a death is final"):
        dues.decide(state, ContinueAfterTransfer(actor=COUNTY, today=TODAY, member_id=MEMBER, to_org_id="b-1",
                                                 letter_number="L-9", paid_up_to="2025-08", received_on=TODAY,
                                                 category=DuesCategory.WAGE_EARNER, base=D("4000.00")),
                    letter_received_by="b-1")
