"""Recording a dues payment (B2): who may pay, which months, how much, and where the money goes.

Decisions, in order of the checks:

- An organisation never pays for a member nor deducts dues from pay (不得垫交或扣缴): refused (422).
- The member pays, or a named proxy (a relative or another member) with the branch's consent.
- Months are consecutive and start at the oldest unsettled one: no gaps behind a payment, so "paid up
  to" stays one month, and no month is ever covered twice (409).
- Paying more than one month at once (quarterly, arrears, prepayment) needs the branch's consent.
- Counted against the month of ``paid_on``: at most ``max_arrears_months`` earlier months and
  ``max_prepayment_months`` later ones (6 and 6 by default) in one payment; and months paid ahead of ``paid_on``
  never number more than ``max_prepayment_months``, however many payments they were split into.
- Amount = the months' assessed amounts (months up to now are assessed on the spot if the monthly
  run has not reached them) + the current amount of months paid in advance + any increase on earlier
  prepaid months now assessed higher + the voluntary ``extra``. A prepaid month assessed *lower*
  stays paid at what was paid: B2 provides for settling increases only.
- A voluntary extra at or above the threshold (1000 yuan) is flagged for the Central Committee.
- A host organisation records payments of a certificate holder it hosts (receiving organisation = the host).
"""

from __future__ import annotations

from itertools import pairwise

from services.membership.contract.commands.dues import RecordPayment
from services.membership.contract.events.dues import (
    AllocationKind,
    DuesAccountEvent,
    DuesPaid,
    MonthAllocation,
    MonthAssessed,
    PayerKind,
)
from services.membership.domain.dues_scale import check_money, scale_in
from services.membership.domain.dues_state import (
    ZERO,
    DuesAccount,
    assessment,
    existing,
    month,
    owed,
    require_open_in,
    require_self_or_scope,
    settled,
    shortfall,
)
from services.membership.policy.dues import DuesPolicy
from services.pure.dates import month_of, shift_month
from services.pure.errors import AlreadyExists, DomainError, Forbidden, StateConflict
from services.pure.identity import Actor, Role
from services.pure.personal_text import not_personal
from services.pure.text import require_text


def _receiving_org(actor: Actor, state: DuesAccount, certificate_host_org_id: str | None) -> str:
    if actor.role is Role.HOST_ORGANISATION:
        if certificate_host_org_id is None or actor.org_id != certificate_host_org_id:
            raise Forbidden(f"{actor.org_id} does not host {state.member_id} on an activity certificate; only the "
                            "host named on a valid certificate takes the member's dues")
        return certificate_host_org_id
    require_self_or_scope(actor, state, "record dues payments")
    return state.org_id


def _months(state: DuesAccount, cmd: RecordPayment, policy: DuesPolicy) -> list[str]:
    months = [month(m, "months") for m in cmd.months]
    if not months:
        return months
    if any(b != shift_month(a, 1) for a, b in pairwise(months)):
        raise DomainError(f"the months of one payment are consecutive and in order, not {', '.join(months)}")
    if months[0] < state.owed_from:
        raise DomainError(f"{state.member_id} owes dues from {state.owed_from}; {months[0]} is not owed here")
    for m in months:  # each month: one in a gap between a closing and a reopening is not owed here either
        require_open_in(state, m, "record a payment")
    covered = [m for m in months if m in state.paid]
    if covered:
        raise StateConflict(f"{covered[0]} is already paid; no month is charged twice — pay from "
                            f"{shift_month(covered[-1], 1)}")
    m = state.owed_from
    while m < months[0]:
        if not settled(state, m, policy):
            raise DomainError(f"pay the oldest unpaid month {m} first; payments settle months oldest first")
        m = shift_month(m, 1)
    return months


def record_payment(
    state: DuesAccount, cmd: RecordPayment, policy: DuesPolicy, certificate_host_org_id: str | None
) -> list[DuesAccountEvent]:
    existing(state, cmd.member_id)
    if cmd.payer_kind == PayerKind.ORGANISATION or cmd.deducted_from_pay:
        raise DomainError("an organisation may not pay dues for a member nor deduct them from pay (不得垫交或扣缴); "
                          "the member pays, or a named relative or member pays on their behalf")
    receiving = _receiving_org(cmd.actor, state, certificate_host_org_id)
    payer_name = None
    if cmd.payer_kind == PayerKind.PROXY:
        payer_name = require_text(cmd.payer_name or "",
                                  "payer_name (the relative or member paying on the member's behalf)")
        not_personal(payer_name, "payer_name", instead="the payer's name alone (a relative or member), no number")
        if not cmd.branch_consent:
            raise DomainError("payment through a proxy needs the branch's consent; set branch_consent")
    if cmd.payment_id in state.payment_ids:
        raise AlreadyExists(f"payment {cmd.payment_id} is already recorded for {state.member_id}")
    if cmd.paid_on > cmd.today:
        raise DomainError(f"paid_on {cmd.paid_on} is in the future; record a payment once it is made")
    amount, extra = check_money(cmd.amount, "amount"), check_money(cmd.extra, "extra")
    months = _months(state, cmd, policy)
    if len(months) > 1 and not cmd.branch_consent:
        raise DomainError(f"paying {len(months)} months at once (quarterly, arrears or in advance) needs the branch's "
                          "consent; set branch_consent or pay month by month")
    current = month_of(cmd.paid_on)
    scale = scale_in(policy, current)
    arrears = [m for m in months if m < current]
    if len(arrears) > scale.max_arrears_months:
        raise DomainError(f"at most {scale.max_arrears_months} months of arrears in one payment ({scale.version}); "
                          f"this one covers {len(arrears)} ({arrears[0]} to {arrears[-1]}) — split it")
    ahead = [m for m in months if m > current]
    if len(ahead) > scale.max_prepayment_months:
        raise DomainError(f"at most {scale.max_prepayment_months} months may be paid in advance at once "
                          f"({scale.version}); this one covers {len(ahead)} ({ahead[0]} to {ahead[-1]})")
    # The limit is on what is paid ahead, not on one payment: two payments of six on one day prepaid a year.
    # Months in a gap (paid ahead before the account closed) are owed by nobody, so were not paid ahead here.
    prepaid = sorted(m for m, parts in state.paid.items() if m > current and owed(state, m)
                     and any(p.paid_on <= cmd.paid_on for p in parts))
    if ahead and len(prepaid) + len(ahead) > scale.max_prepayment_months:
        raise DomainError(f"at most {scale.max_prepayment_months} months may be paid in advance ({scale.version}); "
                          f"{len(prepaid)} after {current} were paid by {cmd.paid_on} already "
                          f"({prepaid[0]} to {prepaid[-1]}) — pay {ahead[0]} once its month is nearer")

    events: list[DuesAccountEvent] = []
    allocations = [MonthAllocation(month=m, amount=shortfall(state, m), kind=AllocationKind.TOP_UP)
                   for m in sorted(state.paid) if shortfall(state, m) > 0]
    for m in months:
        assessed: MonthAssessed | None = state.assessed.get(m)
        if assessed is None and m <= month_of(cmd.today):
            assessed = assessment(state, m, policy, cmd.today)
            events.append(assessed)
        if assessed is not None:
            allocations.append(MonthAllocation(month=m, amount=assessed.amount, kind=AllocationKind.ASSESSED))
        else:
            provisional = assessment(state, m, policy, cmd.today).amount
            allocations.append(MonthAllocation(month=m, amount=provisional, kind=AllocationKind.PREPAID))
    if not allocations and extra == 0:
        raise DomainError("a payment covers months or is a voluntary extra; this one has neither")
    dues = sum((a.amount for a in allocations), ZERO)
    if amount != dues + extra:
        raise DomainError(f"the payment must be {dues + extra} ({_explain(allocations)}, extra {extra}), not {amount}")
    events.append(DuesPaid(
        member_id=state.member_id, payment_id=cmd.payment_id, org_id=state.org_id, receiving_org_id=receiving,
        paid_on=cmd.paid_on, amount=amount, allocations=tuple(allocations), extra=extra,
        to_central_committee=extra >= scale.central_committee_threshold, payer_kind=cmd.payer_kind,
        payer_name=payer_name, branch_consent=cmd.branch_consent, actor=cmd.actor.label, policy_version=scale.version,
    ))
    return events


def _explain(allocations: list[MonthAllocation]) -> str:
    if not allocations:
        return "no months"
    labels = {AllocationKind.ASSESSED: "", AllocationKind.PREPAID: " in advance", AllocationKind.TOP_UP: " increase"}
    return ", ".join(f"{a.month}{labels[a.kind]} {a.amount}" for a in allocations)

