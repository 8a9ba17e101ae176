"""Dues payments, arrears and lapse review, and dues that follow a member across a transfer (B2, B3)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pytest

from services.kernel.handling import fold
from services.membership.contract.commands.dues import (
    AssessMonth,
    ContinueAfterTransfer,
    DeclareIncome,
    RecordValidReason,
)
from services.membership.contract.events.common import DuesCategory
from services.membership.contract.events.dues import (
    AllocationKind,
    DuesAccountEvent,
    DuesContinuedAfterTransfer,
    DuesPaid,
    PayerKind,
)
from services.membership.contract.events.transfers import ExternalOrganisation, TransferReceived
from services.membership.domain import deadlines, dues
from services.membership.domain.deadlines import RaiseDueItems
from services.membership.domain.dues import DuesAccount
from services.membership.domain.dues_account import follow_reception
from services.membership.domain.dues_arrears import ageing, due_items, dues_paid_up_to
from services.membership.domain.dues_ledger import expected_vs_paid
from services.membership.policy.dues import DEFAULT_DUES_POLICY, DuesPolicy
from services.pure.due import DueItem
from services.pure.errors import AlreadyExists, DomainError, Forbidden, StateConflict
from services.pure.identity import Actor, Role
from tests.unit.membership.test_dues import (
    MEMBER,
    SELF,
    account,
    c,
    pay,
    published,
    run,
    scale_2026,
)

D = Decimal
HOST = Actor(subject="host", role=Role.HOST_ORGANISATION, org_id="host-sz")
B2_SECRETARY = Actor(subject="sec2", role=Role.BRANCH_SECRETARY, org_id="b-2")


def paid_event(events: Sequence[object]) -> DuesPaid:
    (event,) = [e for e in events if isinstance(e, DuesPaid)]
    return event


# --- paying ------------------------------------------------------------------------------------------

def test_a_member_pays_the_month_and_the_month_is_assessed_on_the_spot() -> None:
    state, events = run(pay("2025-12", "40.00", actor=SELF), state=account(owed_from="2025-12"))
    payment = paid_event(events)
    assert payment.allocations[0].amount == D("40.00") and payment.allocations[0].kind is AllocationKind.ASSESSED
    assert state.assessed["2025-12"].amount == D("40.00") and state.total_paid == D("40.00")
    assert (payment.payer_kind, payment.receiving_org_id) == (PayerKind.MEMBER, "b-1")


def test_a_payment_of_the_wrong_amount_is_refused_with_the_amount_due() -> None:
    with pytest.raises(DomainError, match=r"must be 40\.00 \(2025-12 40\.00, extra 0\), not 39\.99"):
        run(pay("2025-12", "39.99"), state=account(owed_from="2025-12"))


def test_an_amount_with_more_than_two_decimals_or_below_zero_is_refused() -> None:
    with pytest.raises(DomainError, match="more than two decimals"):
        run(pay("2025-12", "40.001"), state=account(owed_from="2025-12"))
    with pytest.raises(DomainError, match="negative"):
        run(pay("2025-12", "40.00", extra=D("-1")), state=account(owed_from="2025-12"))


def test_seven_months_of_arrears_in_one_payment_are_refused_and_six_are_accepted() -> None:
    state = account(owed_from="2025-01")
    seven = tuple(f"2025-{m:02d}" for m in range(1, 8))
    with pytest.raises(DomainError, match=r"at most 6 months of arrears.*covers 7 \(2025-01 to 2025-07\)"):
        run(pay(seven, "280.00"), state=state)
    after, events = run(pay(seven[:6], "240.00"), state=state)
    assert len(paid_event(events).allocations) == 6 and dues_paid_up_to(after, date(2025, 12, 15)) == "2025-06"


def test_seven_months_in_advance_are_refused_and_six_are_accepted_at_the_current_amount() -> None:
    state = account(owed_from="2025-12")
    ahead = tuple(["2025-12", *(f"2026-{m:02d}" for m in range(1, 8))])
    with pytest.raises(DomainError, match="at most 6 months may be paid in advance"):
        run(pay(ahead, "320.00"), state=state)
    _, events = run(pay(ahead[:7], "280.00"), state=state)
    assert [a.kind for a in paid_event(events).allocations].count(AllocationKind.PREPAID) == 6


def test_six_months_in_advance_cannot_be_paid_twice_over_by_splitting_the_payment() -> None:
    """Review of 2026-12-02: two payments of six months ahead on one day, then one more, were all accepted — thirteen
    months prepaid against a limit of six."""
    state, _ = run(pay(tuple(f"2025-{m:02d}" for m in range(1, 7)), "240.00"),
                   pay(tuple(f"2025-{m:02d}" for m in range(7, 13)), "240.00"), state=account(owed_from="2025-01"))
    state, _ = run(pay(tuple(f"2026-{m:02d}" for m in range(1, 4)), "120.00"), state=state)
    with pytest.raises(DomainError, match=r"3 after 2025-12 were paid by 2025-12-15 already \(2026-01 to 2026-03\)"):
        run(pay(tuple(f"2026-{m:02d}" for m in range(4, 8)), "160.00"), state=state)
    state, _ = run(pay(tuple(f"2026-{m:02d}" for m in range(4, 7)), "120.00"), state=state)
    with pytest.raises(DomainError, match="at most 6 months may be paid in advance"):
        run(pay(("2026-07",), "40.00"), state=state)
    # A month later the same month is five ahead: it may be paid then.
    _, events = run(pay(("2026-07",), "40.00", paid_on=date(2026, 1, 10), today=date(2026, 1, 10)), state=state)
    assert paid_event(events).allocations[-1].month == "2026-07"


def test_an_organisation_may_not_pay_for_a_member_nor_deduct_dues_from_pay() -> None:
    state = account(owed_from="2025-12")
    for bad in (pay("2025-12", "40.00", payer_kind=PayerKind.ORGANISATION), pay("2025-12", "40.00",
                                                                                 deducted_from_pay=True)):
        with pytest.raises(DomainError, match="不得垫交或扣缴"):
            run(bad, state=state)


def test_quarterly_payment_needs_the_branch_consent() -> None:
    quarter = ("2025-10", "2025-11", "2025-12")
    with pytest.raises(DomainError, match="needs the branch's consent"):
        run(pay(quarter, "120.00", branch_consent=False), state=account(owed_from="2025-10"))
    assert run(pay(quarter, "120.00"), state=account(owed_from="2025-10"))[0].total_paid == D("120.00")


def test_a_proxy_pays_with_consent_and_is_named_on_the_payment() -> None:
    state = account(owed_from="2025-12")
    with pytest.raises(DomainError, match="payer_name"):
        run(pay("2025-12", "40.00", payer_kind=PayerKind.PROXY, branch_consent=True), state=state)
    with pytest.raises(DomainError, match="proxy needs the branch's consent"):
        run(pay("2025-12", "40.00", payer_kind=PayerKind.PROXY, payer_name="Li Na (wife)"), state=state)
    _, events = run(pay("2025-12", "40.00", payer_kind=PayerKind.PROXY, payer_name="Li Na (wife)",
                        branch_consent=True), state=state)
    assert paid_event(events).payer_name == "Li Na (wife)"


def test_months_are_paid_oldest_first_and_never_twice() -> None:
    state = account(owed_from="2025-10")
    with pytest.raises(DomainError, match="pay the oldest unpaid month 2025-10 first"):
        run(pay("2025-11", "40.00"), state=state)
    with pytest.raises(DomainError, match="consecutive"):
        run(pay(("2025-10", "2025-12"), "80.00"), state=state)
    paid, _ = run(pay("2025-10", "40.00"), state=state)
    with pytest.raises(StateConflict, match="2025-10 is already paid; no month is charged twice"):
        run(pay(("2025-10", "2025-11"), "80.00", payment_id="p-2"), state=paid)
    with pytest.raises(AlreadyExists, match=r"p-2025-10-40\.00"):
        run(pay("2025-11", "40.00", payment_id="p-2025-10-40.00"), state=paid)


def test_a_voluntary_extra_of_1000_yuan_or_more_goes_to_the_central_committee() -> None:
    state = account(owed_from="2025-12")
    _, big = run(pay("2025-12", "1040.00", extra=D("1000.00")), state=state)
    _, small = run(pay("2025-12", "1039.99", extra=D("999.99")), state=state)
    _, alone = run(pay((), "1000.00", extra=D("1000.00")), state=state)
    assert paid_event(big).to_central_committee and not paid_event(small).to_central_committee
    assert paid_event(alone).allocations == () and paid_event(alone).to_central_committee
    with pytest.raises(DomainError, match="neither"):
        run(pay((), "0.00"), state=state)


def test_a_certificate_holder_pays_at_the_host_which_the_payment_records() -> None:
    state = account(owed_from="2025-12")
    _, events = run(pay("2025-12", "40.00", actor=HOST), state=state, certificate_host_org_id="host-sz")
    assert (paid_event(events).receiving_org_id, paid_event(events).org_id) == ("host-sz", "b-1")
    with pytest.raises(Forbidden, match="does not host"):
        run(pay("2025-12", "40.00", actor=HOST), state=state)


def test_a_member_records_payments_only_for_themselves() -> None:
    with pytest.raises(Forbidden, match="only for themselves"):
        run(pay("2025-12", "40.00", actor=Actor(subject="m-9", role=Role.MEMBER)), state=account(owed_from="2025-12"))


def test_an_increase_on_a_prepaid_month_is_settled_at_the_next_payment() -> None:
    state, _ = run(pay(("2025-12", "2026-01"), "80.00"), state=account(owed_from="2025-12"))
    january = date(2026, 1, 10)
    state, _ = run(c(DeclareIncome, actor=SELF, today=january, from_month="2026-01", base=D("6000.00")),
                   c(AssessMonth, today=january, month="2026-01"), state=state)
    assert state.assessed["2026-01"].amount == D("90.00")
    with pytest.raises(DomainError, match=r"must be 140\.00 \(2026-01 increase 50\.00, 2026-02 90\.00"):
        run(pay("2026-02", "90.00", today=date(2026, 2, 3), paid_on=date(2026, 2, 3)), state=state)
    after, events = run(pay("2026-02", "140.00", today=date(2026, 2, 3), paid_on=date(2026, 2, 3)), state=state)
    assert [a.kind for a in paid_event(events).allocations] == [AllocationKind.TOP_UP, AllocationKind.ASSESSED]
    assert ageing(after, date(2026, 3, 1)).amount_owed == 0


# --- arrears and lapse review --------------------------------------------------------------------------

def test_the_ageing_view_lists_unpaid_months_oldest_first_with_the_amount_owed() -> None:
    state, _ = run(pay(("2025-01", "2025-02"), "80.00"), state=account(owed_from="2025-01"))
    view = ageing(state, date(2025, 7, 20))
    assert view.unpaid_months == ("2025-03", "2025-04", "2025-05", "2025-06") and view.oldest_unpaid == "2025-03"
    assert (view.consecutive_unpaid, view.amount_owed) == (4, D("160.00"))


def test_a_reminder_comes_at_three_unpaid_months_and_a_lapse_review_at_six() -> None:
    state = account(owed_from="2025-01")
    assert due_items(state, date(2025, 3, 31)) == []
    assert due_items(state, date(2025, 4, 1)) == [DueItem(kind="dues_reminder", due_on=date(2025, 4, 1),
                                                          subject_id=MEMBER)]
    assert [i.kind for i in due_items(state, date(2025, 6, 30))] == ["dues_reminder"]
    six = due_items(state, date(2025, 7, 1))
    assert DueItem(kind="lapse_review", due_on=date(2025, 7, 1), subject_id=MEMBER) in six


def test_the_deadline_engine_raises_the_lapse_review_once() -> None:
    items = tuple(due_items(account(owed_from="2025-01"), date(2025, 7, 2)))
    command = RaiseDueItems(subject_id=MEMBER, subject_type="dues", org_id="b-1", today=date(2025, 7, 2), items=items)
    raised = deadlines.decide(deadlines.INITIAL, command)
    again = deadlines.decide(fold(deadlines.evolve, deadlines.INITIAL, raised), command)
    assert {e.kind for e in raised} == {"dues_reminder", "lapse_review"} and again == []


def test_a_recorded_valid_reason_clears_the_lapse_review_but_not_the_arrears() -> None:
    state, _ = run(c(RecordValidReason, from_month="2025-03", until_month="2025-04", reason="in hospital"),
                   state=account(owed_from="2025-01"))
    assert "lapse_review" not in [i.kind for i in due_items(state, date(2025, 7, 1))]
    assert ageing(state, date(2025, 7, 1)).consecutive_unpaid == 6
    assert ageing(state, date(2025, 7, 1)).consecutive_without_reason == 2


def test_a_payment_ends_the_run_of_unpaid_months() -> None:
    state, _ = run(pay(tuple(f"2025-{m:02d}" for m in range(1, 7)), "240.00", paid_on=date(2025, 7, 1),
                       today=date(2025, 7, 1)), state=account(owed_from="2025-01"))
    assert due_items(state, date(2025, 7, 1)) == []


# --- transfers -----------------------------------------------------------------------------------------

def received(letter: str = "L-7", to_org_id: str = "b-2", on: date = date(2025, 7, 18),
             to_external: ExternalOrganisation | None = None) -> TransferReceived:
    """The reception the dues follow, as the member's stream records it."""
    return TransferReceived(member_id=MEMBER, transfer_id="t-1", letter_number=letter, received_on=on,
                            from_org_id="b-1", to_org_id=to_org_id, to_external=to_external, certificate_closed=None,
                            actor="branch_secretary:sec2@b-2", receiving_org_id=to_org_id)


def follow(state: DuesAccount, reception: TransferReceived,
           policy: DuesPolicy = DEFAULT_DUES_POLICY) -> tuple[DuesAccount, list[DuesAccountEvent]]:
    """The reaction to a reception: what it appends, folded into the account."""
    events: list[DuesAccountEvent] = list(follow_reception(state, reception, policy, actor=reception.actor))
    return fold(dues.evolve, state, events), events


def receive(**o: object) -> ContinueAfterTransfer:
    fields: dict[str, object] = {"actor": B2_SECRETARY, "today": date(2025, 7, 20), "member_id": MEMBER,
                                 "to_org_id": "b-2", "letter_number": "L-7", "paid_up_to": "2025-06",
                                 "received_on": date(2025, 7, 18), **o}
    return ContinueAfterTransfer(**fields)  # type: ignore[arg-type]


def test_a_member_received_in_july_owes_the_new_branch_from_july_with_no_gap_and_no_double_charge() -> None:
    half_year = tuple(f"2025-{m:02d}" for m in range(1, 7))
    state, history = run(pay(half_year, "240.00", paid_on=date(2025, 6, 10), today=date(2025, 6, 10)),
                         state=account(owed_from="2025-01"))
    state, moved = follow(state, received())
    assert state.org_id == "b-2" and state.previous_org_ids == ("b-1",)
    assert isinstance(moved[0], DuesContinuedAfterTransfer) and moved[0].paid_up_to == "2025-06"
    assert all(state.paid[m] for m in half_year)  # the months paid before the reception stay paid
    with pytest.raises(StateConflict, match="2025-06 is already paid"):
        run(pay("2025-06", "40.00", actor=B2_SECRETARY, paid_on=date(2025, 7, 20), today=date(2025, 7, 20)),
            state=state)
    assert ageing(state, date(2025, 8, 1)).unpaid_months == ("2025-07",)
    state, july = run(pay("2025-07", "40.00", actor=B2_SECRETARY, paid_on=date(2025, 7, 25), today=date(2025, 7, 25)),
                      state=state)
    events = [*history, *moved, *july]
    months = [f"2025-{m:02d}" for m in range(1, 9)]
    first = {r.month: r.expected for r in expected_vs_paid(events, "b-1", months) if r.expected}
    second = {r.month: r.expected for r in expected_vs_paid(events, "b-2", months) if r.expected}
    assert set(first) == set(half_year) and set(second) == {"2025-07"}  # every month owed once, to one branch
    assert paid_event(july).org_id == "b-2"


def test_the_account_moves_from_the_first_month_not_paid_whatever_the_letter_said() -> None:
    state, _ = run(pay(("2025-01", "2025-02", "2025-03"), "120.00", paid_on=date(2025, 4, 1), today=date(2025, 4, 1)),
                   state=account(owed_from="2025-01"))
    _, (moved,) = follow(state, received())
    assert isinstance(moved, DuesContinuedAfterTransfer)
    assert (moved.paid_up_to, moved.continues_from, moved.from_org_id) == ("2025-03", "2025-04", "b-1")


def test_unpaid_assessed_months_after_the_last_paid_move_to_the_receiving_branch() -> None:
    state, history = run(pay(tuple(f"2025-{m:02d}" for m in range(1, 6)), "200.00", paid_on=date(2025, 6, 1),
                             today=date(2025, 6, 1)), c(AssessMonth, month="2025-06", today=date(2025, 6, 1)),
                         state=account(owed_from="2025-01"))
    _, moved = follow(state, received())
    assert isinstance(moved[0], DuesContinuedAfterTransfer) and moved[0].moved_months == ("2025-06",)
    (june,) = expected_vs_paid([*history, *moved], "b-2", ["2025-06"])
    assert june.expected == D("40.00") and june.members_unpaid == 1


def test_a_reception_moves_the_account_once_however_often_the_reaction_runs() -> None:
    state, first = follow(account(owed_from="2025-01"), received())
    assert len(first) == 1
    assert follow(state, received()) == (state, [])
    assert follow(state, received(letter="L-8", to_org_id="b-2"))[1] == []  # already kept by b-2


def test_nothing_moves_without_an_account_here_or_when_the_member_left_the_county() -> None:
    assert follow(dues.INITIAL, received())[1] == []
    away = ExternalOrganisation(org_id="ext-nanshan", name="Shenzhen Nanshan committee", address="Nanshan, Shenzhen")
    assert follow(account(owed_from="2025-01"), received(to_org_id="ext-nanshan", to_external=away))[1] == []


def test_the_command_opens_an_account_kept_elsewhere_across_a_policy_change_without_a_gap() -> None:
    policy = published(scale_2026())
    state, (opened,) = run(receive(paid_up_to="2025-12", category=DuesCategory.WAGE_EARNER, base=D("4000.00"),
                                   today=date(2026, 1, 20), received_on=date(2026, 1, 15)), policy=policy,
                           letter_received_by="b-2")
    assert isinstance(opened, DuesContinuedAfterTransfer) and opened.opened and opened.continues_from == "2026-01"
    _, events = run(pay("2026-01", "120.00", actor=B2_SECRETARY, paid_on=date(2026, 1, 20), today=date(2026, 1, 20)),
                    state=state, policy=policy)
    assert paid_event(events).allocations[0].amount == D("120.00")
    with pytest.raises(DomainError, match="owes dues from 2026-01; 2025-12"):
        run(pay("2025-12", "40.00", actor=B2_SECRETARY, paid_on=date(2026, 1, 20), today=date(2026, 1, 20)),
            state=state, policy=policy)


def test_the_command_is_refused_for_an_account_kept_here_which_moves_on_reception() -> None:
    with pytest.raises(StateConflict, match="moves by itself when the transfer is received"):
        run(receive(), state=account(owed_from="2025-01"), letter_received_by="b-2")
    moved, _ = follow(account(owed_from="2025-01"), received())
    with pytest.raises(AlreadyExists, match="already moved to b-2 when letter L-7 was received"):
        run(receive(), state=moved, letter_received_by="b-2")


def test_a_letter_that_was_not_received_or_took_the_member_elsewhere_continues_nothing() -> None:
    with pytest.raises(StateConflict, match="no letter with that number was received for this member"):
        run(receive(), state=account())
    with pytest.raises(StateConflict, match="the letter took this member to b-9, not to the organisation named"):
        run(receive(), state=account(), letter_received_by="b-9")
    with pytest.raises(Forbidden, match="b-3 cannot receive a member's dues in b-2"):
        run(receive(actor=Actor(subject="s", role=Role.BRANCH_SECRETARY, org_id="b-3")), state=account(),
            letter_received_by="b-2")


def test_a_valid_reason_is_dated_the_day_the_branch_accepted_it_whenever_it_is_entered() -> None:
    _, [event] = run(c(RecordValidReason, from_month="2025-03", reason="in hospital", accepted_on=date(2025, 4, 2)),
                     state=account(owed_from="2025-01"))
    assert event.recorded_on == date(2025, 4, 2)
    undated = c(RecordValidReason, from_month="2025-03", reason="in hospital")
    _, [event] = run(undated, state=account(owed_from="2025-01"))
    assert event.recorded_on == undated.today
