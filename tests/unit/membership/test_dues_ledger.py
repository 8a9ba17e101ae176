"""The branch dues ledger: expected vs paid, collections and remittance upward, the yearly disclosure, a
member's statement, the balance of every payment, and dues events on the wire."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from services.kernel.events import EventRegistry
from services.kernel.handling import fold
from services.membership.contract.commands.dues import (
    ApproveExemption,
    ApproveReduction,
    AssessMonth,
    ContinueAfterTransfer,
    DeclareIncome,
    PublishDuesScale,
    RecordValidReason,
    RemitUpward,
)
from services.membership.contract.events.common import DuesCategory
from services.membership.contract.events.dues import (
    EVENTS,
    DuesAccountEvent,
    DuesPaid,
    MonthAssessed,
    PayerKind,
    RemittanceFrequency,
)
from services.membership.contract.events.members import MemberDied
from services.membership.contract.events.transfers import ExternalOrganisation, TransferReceived
from services.membership.domain import dues, dues_policy
from services.membership.domain.dues_account import follow_reception
from services.membership.domain.dues_closing import close_on_ending
from services.membership.domain.dues_ledger import (
    LEDGER_INITIAL,
    collections,
    decide_ledger,
    evolve_ledger,
    expected_vs_paid,
    period_bounds,
    statement,
    yearly_disclosure,
)
from services.membership.domain.dues_state import amount_for, first_unsettled, shortfall
from services.membership.policy.dues import DEFAULT_DUES_POLICY
from services.pure.dates import shift_month as shift
from services.pure.errors import DomainError, StateConflict
from services.pure.identity import Actor, Role
from tests.unit.membership.test_dues import (
    COUNTY,
    SECRETARY,
    SELF,
    TODAY,
    account,
    c,
    opening,
    pay,
    run,
    scale_2026,
)

D = Decimal
HOST = Actor(subject="host", role=Role.HOST_ORGANISATION, org_id="host-sz")


def first_quarter() -> list[DuesAccountEvent]:
    """m-1 pays January to March at the branch; m-2 pays January only, at the host on a certificate."""
    _, one = run(pay(("2025-01", "2025-02", "2025-03"), "120.00", paid_on=date(2025, 3, 10), today=date(2025, 3, 10)),
                 state=account(owed_from="2025-01"))
    _, two = run(pay("2025-01", "30.00", member_id="m-2", actor=HOST, paid_on=date(2025, 3, 12),
                     today=date(2025, 3, 12)), state=account(member_id="m-2", base=D("3000.01")),
                 certificate_host_org_id="host-sz")
    _, late = run(c(AssessMonth, member_id="m-2", month="2025-02", today=date(2025, 3, 31)),
                  c(AssessMonth, member_id="m-2", month="2025-03", today=date(2025, 3, 31)),
                  state=run(pay("2025-01", "30.00", member_id="m-2", actor=HOST, paid_on=date(2025, 3, 12),
                                today=date(2025, 3, 12)), state=account(member_id="m-2", base=D("3000.01")),
                            certificate_host_org_id="host-sz")[0])
    return [*one, *two, *late]


def test_the_ledger_shows_expected_against_paid_for_each_month_of_the_branch() -> None:
    rows = expected_vs_paid(first_quarter(), "b-1", ["2025-01", "2025-02", "2025-03"])
    assert [(r.month, r.expected, r.paid, r.outstanding, r.members_unpaid) for r in rows] == [
        ("2025-01", D("70.00"), D("70.00"), D("0.00"), 0),
        ("2025-02", D("70.00"), D("40.00"), D("30.00"), 1),
        ("2025-03", D("70.00"), D("40.00"), D("30.00"), 1),
    ]


def test_a_host_collects_for_the_formal_branch_and_both_sides_show_it() -> None:
    events = first_quarter()
    host = collections(events, "host-sz", date(2025, 1, 1), date(2025, 3, 31))
    branch = collections(events, "b-1", date(2025, 1, 1), date(2025, 3, 31))
    assert (host.total, host.for_other_orgs) == (D("30.00"), D("30.00"))
    assert (branch.total, branch.received_elsewhere) == (D("120.00"), D("30.00"))


def remit(**o: Any) -> RemitUpward:
    return replace(RemitUpward(actor=SECRETARY, today=date(2025, 4, 2), org_id="b-1", period="2025-Q1",
                               amount=D("120.00"), to_org_id="township-a", remitted_on=date(2025, 4, 1)), **o)


def test_a_quarter_s_collections_are_passed_upward_once_after_it_ends() -> None:
    q1 = collections(first_quarter(), "b-1", *period_bounds("2025-Q1", RemittanceFrequency.QUARTERLY))
    (remitted,) = decide_ledger(LEDGER_INITIAL, remit(), collected=q1)
    assert (remitted.amount, remitted.frequency, remitted.policy_version) == (D("120.00"), "quarterly", "dues-2008")
    with pytest.raises(DomainError, match="ends on 2025-03-31"):
        decide_ledger(LEDGER_INITIAL, remit(remitted_on=date(2025, 3, 31)), collected=q1)
    with pytest.raises(DomainError, match=r"collected 120\.00 in 2025-Q1"):
        decide_ledger(LEDGER_INITIAL, remit(amount=D("100.00")), collected=q1)
    with pytest.raises(StateConflict, match="already passed upward on 2025-04-01"):
        decide_ledger(evolve_ledger(LEDGER_INITIAL, remitted), remit(), collected=q1)
    with pytest.raises(DomainError, match="written like 2026-Q1"):
        decide_ledger(LEDGER_INITIAL, remit(period="2025-03"), collected=q1)
    # The year is read before any date is made of it: year 0000 or non-ASCII digits were a 500.
    for period in ("0000-Q1", "9999-Q4", "\u00b2\u2070\u00b2\u2076-Q1", "\u0662\u0660\u0662\u0665-Q1", "25-Q1"):
        with pytest.raises(DomainError, match="starts with its year"):
            decide_ledger(LEDGER_INITIAL, remit(period=period), collected=q1)


def test_the_remittance_frequency_is_a_policy_setting() -> None:
    half_yearly = replace(DEFAULT_DUES_POLICY.latest, remittance_frequency=RemittanceFrequency.HALF_YEARLY)
    policy = replace(DEFAULT_DUES_POLICY, scales=(half_yearly,))
    h1 = collections(first_quarter(), "b-1", date(2025, 1, 1), date(2025, 6, 30))
    (remitted,) = decide_ledger(LEDGER_INITIAL, remit(period="2025-H1", remitted_on=date(2025, 7, 1),
                                                      today=date(2025, 7, 1)), collected=h1, policy=policy)
    assert remitted.frequency is RemittanceFrequency.HALF_YEARLY


def test_the_yearly_disclosure_sums_the_branch_s_year() -> None:
    events = first_quarter()
    q1 = collections(events, "b-1", date(2025, 1, 1), date(2025, 3, 31))
    remitted = decide_ledger(LEDGER_INITIAL, remit(), collected=q1)
    report = yearly_disclosure(events, remitted, "b-1", 2025)
    assert (report.members, report.expected, report.paid, report.outstanding) == (2, D("210.00"), D("150.00"),
                                                                                 D("60.00"))
    assert (report.collected.total, report.remitted, len(report.months)) == (D("120.00"), D("120.00"), 12)


def test_a_member_s_statement_explains_each_amount_and_who_paid_it() -> None:
    state, _ = run(c(DeclareIncome, actor=SELF, from_month="2025-02", base=D("6000.00")),
                   pay(("2025-01", "2025-02"), "130.00", payer_kind=PayerKind.PROXY, payer_name="Li Na",
                       paid_on=date(2025, 2, 20), today=date(2025, 2, 20)), state=account(owed_from="2025-01"))
    january, february, march = statement(state, date(2025, 3, 5))
    assert (january.base, january.bracket, january.rate, january.amount) == (D("4000.00"), 2, D("0.01"), D("40.00"))
    assert (february.base, february.bracket, february.rate, february.amount) == (D("6000.00"), 3, D("0.015"),
                                                                                 D("90.00"))
    assert february.policy_version == "dues-2008" and february.assessed
    assert [(p.paid_on, p.payer_name, p.receiving_org_id) for p in february.payments] == [
        (date(2025, 2, 20), "Li Na", "b-1")]
    assert (march.assessed, march.amount, march.paid) == (False, D("90.00"), D(0))


# --- every payment balances: property-based ------------------------------------------------------------

_step = st.tuples(st.sampled_from(["pay", "pay", "income", "skip", "exempt", "reason", "scale"]),
                  st.integers(min_value=1, max_value=8), st.decimals(min_value=0, max_value=1500, places=2),
                  st.decimals(min_value=0, max_value=20000, places=2))


@settings(max_examples=60, deadline=None)
@given(st.lists(_step, min_size=1, max_size=18))
def test_the_ledger_always_balances_and_no_amount_is_ever_negative(
    steps: list[tuple[str, int, Decimal, Decimal]],
) -> None:
    state, opened = run(opening(owed_from="2025-01", today=date(2025, 1, 5)))
    policy, events = DEFAULT_DUES_POLICY, list(opened)
    for index, (kind, n, extra, base) in enumerate(steps):
        today = date(2025, 1, 15) + timedelta(days=31 * index)
        this = f"{today.year}-{today.month:02d}"
        try:
            if kind == "pay":
                start = first_unsettled(state, policy, limit=this)
                months = tuple(shift(start, i) for i in range(n))
                due = sum((amount_for(state, m, policy) for m in months), D(0))
                due += sum((shortfall(state, m) for m in state.paid), D(0))
                cmd: Any = pay(months, str(due + extra), extra=extra, paid_on=today, today=today,
                               payment_id=f"p-{index}", branch_consent=True)
            elif kind == "income":
                cmd = c(DeclareIncome, from_month=shift(this, 1), base=base, today=today)
            elif kind == "exempt":
                cmd = c(ApproveExemption, actor=COUNTY, approval_id=f"x-{index}", from_month=shift(this, 1),
                        until_month=shift(this, n % 3 + 1), reason="hardship", branch_studied_on=today, today=today)
            elif kind == "reason":
                cmd = c(RecordValidReason, from_month=this, reason="flood", today=today)
            elif kind == "scale":
                effective = date.fromisoformat(f"{shift(this, 1)}-01")
                publish = PublishDuesScale(actor=COUNTY, today=today, scale=scale_2026(
                    version=f"dues-{index}", effective_from=effective))
                policy = fold(dues_policy.evolve, policy, dues_policy.decide(policy, publish))
                continue
            else:
                cmd = c(AssessMonth, month=this, today=today)
            new = dues.decide(state, cmd, policy=policy)
        except (DomainError, StateConflict) as refused:
            # Random steps may break a limit (or relieve an assessed month); a payment refused for its amount
            # or its months would be a bug, so only the limits may refuse one.
            if kind == "pay" and "at most" not in refused.detail:
                raise
            continue
        state = fold(dues.evolve, state, new)
        events.extend(new)
    payments = [e for e in events if isinstance(e, DuesPaid)]
    allocated = sum((a.amount for p in payments for a in p.allocations), D(0))
    extras = sum((p.extra for p in payments), D(0))
    assert sum((p.amount for p in payments), D(0)) == allocated + extras == state.total_paid
    assert collections(events, "b-1", date(2000, 1, 1), date(2100, 1, 1)).total == state.total_paid
    assert all(a.amount >= 0 for p in payments for a in p.allocations)
    assert all(e.amount >= 0 and e.amount <= e.standard_amount for e in events if isinstance(e, MonthAssessed))
    note(f"{len(payments)} payments, {sum(isinstance(e, MonthAssessed) for e in events)} assessments")
    # Re-running history gives the amounts as they were assessed.
    assert fold(dues.evolve, dues.INITIAL, events) == state


# --- the wire ------------------------------------------------------------------------------------------

def test_every_dues_event_survives_the_wire_unchanged() -> None:
    registry: EventRegistry[Any] = EventRegistry(source="/test", events=EVENTS)
    published = dues_policy.decide(dues_policy.INITIAL, PublishDuesScale(actor=COUNTY, today=date(2025, 12, 1),
                                                                          scale=scale_2026()))
    state, events = run(opening(owed_from="2025-10"),
                        c(ApproveExemption, actor=COUNTY, approval_id="x", from_month="2025-11", until_month="2025-11",
                          reason="flood", branch_studied_on=date(2025, 10, 30)),
                        c(ApproveReduction, actor=COUNTY, approval_id="r", from_month="2025-12", until_month="2025-12",
                          monthly_amount=D("5.00"), reason="illness", branch_studied_on=date(2025, 11, 30)),
                        c(RecordValidReason, from_month="2025-10", reason="flood"),
                        pay(("2025-10", "2025-11", "2025-12", "2026-01"), "1085.00", extra=D("1000.00")),
                        c(DeclareIncome, from_month="2026-02", base=D("100.00")))
    _, opened = run(ContinueAfterTransfer(actor=COUNTY, today=TODAY, member_id="m-2", to_org_id="b-2",
                                          letter_number="L-1", paid_up_to="2026-01", received_on=TODAY,
                                          category=DuesCategory.WAGE_EARNER, base=D("4000.00")),
                      letter_received_by="b-2")
    reception = TransferReceived(member_id="m-1", transfer_id="t-1", letter_number="L-2", received_on=TODAY,
                                 from_org_id="b-1", to_org_id="b-2", to_external=None, certificate_closed=None,
                                 actor="county_admin:admin", receiving_org_id="b-2")
    moved = [*opened, *follow_reception(state, reception, DEFAULT_DUES_POLICY, actor=reception.actor)]
    q4 = collections(events, "b-1", date(2025, 10, 1), date(2025, 12, 31))
    remitted = decide_ledger(LEDGER_INITIAL, remit(period="2025-Q4", amount=q4.total, remitted_on=date(2026, 1, 2),
                                                   today=date(2026, 1, 2)), collected=q4)
    death = MemberDied(member_id="m-1", died_on=TODAY, actor="branch_secretary:sec", recording_org_id="b-1")
    closing = close_on_ending(state, death, cause_id="e-1", actor=death.actor)
    outside = replace(reception, letter_number="L-3", to_org_id="ext-1",
                      to_external=ExternalOrganisation(org_id="ext-1", name="杭州某党支部", address="杭州市西湖区"))
    [left] = close_on_ending(state, outside, cause_id="e-2", actor=outside.actor)
    back = ContinueAfterTransfer(actor=COUNTY, today=TODAY, member_id="m-1", to_org_id="b-1", letter_number="L-4",
                                 paid_up_to="2026-01", received_on=TODAY)
    reopened = dues.decide(dues.evolve(state, left), back, letter_received_by="b-1")
    everything = [*published, *events, *moved, *closing, left, *reopened, *remitted]
    for event in everything:
        assert registry.decode(registry.wire_name(event), registry.encode(event)) == event
    assert {type(e) for e in everything} == set(EVENTS.values())
    assert q4.central_committee == D("1000.00")
