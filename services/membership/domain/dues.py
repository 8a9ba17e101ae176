"""Dues account aggregate (党费, B2): one stream per member, ``dues-<member_id>``.

The account knows the member's category and base over time, approved relief, every assessed month
(with base, bracket, rate and scale version, so each amount explains itself) and every payment's
share of each month. The rules live in ``dues_account`` (opening, income, assessment, relief,
reasons, transfers), ``dues_payments`` and ``dues_arrears`` (ageing, letter month, deadlines); the
scale arithmetic in ``dues_scale``; the scale's own stream in ``dues_policy``; the branch ledger,
remittances and statements in ``dues_ledger``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import assert_never

from services.membership.contract.commands.dues import (
    ApproveExemption,
    ApproveReduction,
    AssessMonth,
    ContinueAfterTransfer,
    DeclareIncome,
    DuesAccountCommand,
    OpenAccount,
    RecordPayment,
    RecordValidReason,
)
from services.membership.contract.events.dues import (
    Adjustment,
    DuesAccountClosed,
    DuesAccountEvent,
    DuesAccountOpened,
    DuesAccountReopened,
    DuesContinuedAfterTransfer,
    DuesPaid,
    ExemptionApproved,
    IncomeDeclared,
    MonthAssessed,
    ReductionApproved,
    ValidReasonRecorded,
)
from services.membership.domain import dues_account as account
from services.membership.domain.dues_arrears import Ageing, ageing, due_items, dues_paid_up_to
from services.membership.domain.dues_payments import record_payment
from services.membership.domain.dues_state import (
    INITIAL,
    ZERO,
    Closing,
    DuesAccount,
    Gap,
    IncomeEntry,
    PaidPart,
    Relief,
    ValidReason,
    updated,
)
from services.membership.policy.dues import DEFAULT_DUES_POLICY, DuesPolicy
from services.pure.frozen import made

__all__ = ["INITIAL", "Ageing", "DuesAccount", "ageing", "decide", "due_items", "dues_paid_up_to", "evolve",
           "stream_id"]


def stream_id(member_id: str) -> str:
    return f"dues-{member_id}"


def decide(
    state: DuesAccount,
    command: DuesAccountCommand,
    *,
    policy: DuesPolicy = DEFAULT_DUES_POLICY,
    next_higher_org_id: str | None = None,
    certificate_host_org_id: str | None = None,
    letter_received_by: str | None = None,
    keepers: tuple[str, ...] | None = None,
) -> list[DuesAccountEvent]:
    """Decide one command on a member's dues account; facts from other aggregates come in as context.

    - ``policy``: the state of the ``dues-policy`` stream (every published scale);
    - ``next_higher_org_id``: the committee above the member's branch (ApproveReduction, ApproveExemption
      by a township committee);
    - ``certificate_host_org_id``: the host organisation of the member's valid activity certificate, or
      ``None`` (RecordPayment by a host organisation);
    - ``keepers``: the organisations that may keep the member's account (OpenAccount: ``dues_keepers`` of the
      member's record; empty when the person is not a member here).
    """
    match command:
        case OpenAccount():
            return [account.open_account(state, command, policy, keepers)]
        case DeclareIncome():
            return [account.declare_income(state, command, policy)]
        case AssessMonth():
            return [account.assess(state, command, policy)]
        case ApproveReduction() | ApproveExemption():
            return [account.approve_relief(state, command, next_higher_org_id)]
        case RecordPayment():
            return record_payment(state, command, policy, certificate_host_org_id)
        case RecordValidReason():
            return [account.record_reason(state, command)]
        case ContinueAfterTransfer():
            return [account.continue_after_transfer(state, command, policy, received_by=letter_received_by)]
        case _:
            assert_never(command)


def evolve(state: DuesAccount, event: DuesAccountEvent) -> DuesAccount:
    """The account after ``event``, changed with ``updated`` rather than ``dataclasses.replace`` and opened with
    ``made``: the same values, and the monthly run folds every account (services/pure/frozen.py)."""
    match event:
        case DuesAccountOpened():
            income = made(IncomeEntry, applies_from=event.owed_from, category=event.category, base=event.base,
                          flat_amount=event.flat_amount)
            return updated(INITIAL, exists=True, member_id=event.member_id, org_id=event.org_id,
                           owed_from=event.owed_from, incomes=(income,))
        case IncomeDeclared():
            income = IncomeEntry(applies_from=event.applies_from, category=event.category, base=event.base,
                                 flat_amount=event.flat_amount)
            return updated(state, incomes=(*state.incomes, income))
        case MonthAssessed():
            return updated(state, assessed={**state.assessed, event.month: event})
        case ReductionApproved() | ExemptionApproved():
            return updated(state, approval_ids=state.approval_ids | {event.approval_id},
                           reliefs=(*state.reliefs, _relief(event)))
        case DuesPaid():
            return _paid(state, event)
        case ValidReasonRecorded():
            reason = ValidReason(from_month=event.from_month, until_month=event.until_month, reason=event.reason)
            return updated(state, valid_reasons=(*state.valid_reasons, reason))
        case DuesContinuedAfterTransfer():
            if event.opened:
                income = IncomeEntry(applies_from=event.continues_from, category=event.category, base=event.base,
                                     flat_amount=event.flat_amount)
                return DuesAccount(exists=True, member_id=event.member_id, org_id=event.to_org_id,
                                   owed_from=event.continues_from, carried_paid_up_to=event.paid_up_to,
                                   incomes=(income,), letter_numbers=frozenset({event.letter_number}))
            return updated(state, org_id=event.to_org_id, previous_org_ids=(*state.previous_org_ids, state.org_id),
                           letter_numbers=state.letter_numbers | {event.letter_number})
        case DuesAccountClosed():
            # The cancelled months are owed by nobody (as the ledger counts them): were the account reopened from
            # one of them, it is assessed afresh, by the organisation keeping it then.
            assessed = state.assessed
            if event.cancelled_months:
                assessed = {m: a for m, a in assessed.items() if m not in event.cancelled_months}
            return updated(state, closed=Closing(last_month=event.last_month, reason=event.reason,
                                                 closed_on=event.closed_on), assessed=assessed)
        case DuesAccountReopened():
            closed = state.closed or Closing(last_month=event.closed_in, reason=event.closed_reason,
                                             closed_on=event.received_on)
            gap = Gap(closed=closed, reopened_from=event.reopened_from, reopened_on=event.received_on,
                      letter_number=event.letter_number)
            income = IncomeEntry(applies_from=event.reopened_from, category=event.category, base=event.base,
                                 flat_amount=event.flat_amount)
            previous = state.previous_org_ids if event.from_org_id == event.org_id \
                else (*state.previous_org_ids, event.from_org_id)
            return updated(state, closed=None, gaps=(*state.gaps, gap), org_id=event.org_id,
                           previous_org_ids=previous, incomes=(*state.incomes, income),
                           letter_numbers=state.letter_numbers | {event.letter_number})
        case _:
            assert_never(event)


def _relief(event: ReductionApproved | ExemptionApproved) -> Relief:
    if isinstance(event, ReductionApproved):
        return Relief(approval_id=event.approval_id, kind=Adjustment.REDUCTION, from_month=event.from_month,
                      until_month=event.until_month, monthly_amount=event.monthly_amount,
                      approving_org_id=event.approving_org_id)
    return Relief(approval_id=event.approval_id, kind=Adjustment.EXEMPTION, from_month=event.from_month,
                  until_month=event.until_month, monthly_amount=ZERO, approving_org_id=event.approving_org_id)


def _paid(state: DuesAccount, event: DuesPaid) -> DuesAccount:
    paid: dict[str, tuple[PaidPart, ...]] = dict(state.paid)
    for a in event.allocations:
        part = PaidPart(payment_id=event.payment_id, amount=a.amount, kind=a.kind, paid_on=event.paid_on,
                        payer_kind=event.payer_kind, payer_name=event.payer_name,
                        receiving_org_id=event.receiving_org_id)
        paid[a.month] = (*paid.get(a.month, ()), part)
    allocated = sum((a.amount for a in event.allocations), state.total_allocated)
    central = state.central_committee + (event.extra if event.to_central_committee else 0)
    frozen: Mapping[str, tuple[PaidPart, ...]] = paid
    return updated(state, paid=frozen, payment_ids=state.payment_ids | {event.payment_id},
                   total_paid=state.total_paid + event.amount, total_allocated=allocated,
                   total_extra=state.total_extra + event.extra, central_committee=central)
