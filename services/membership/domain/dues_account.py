"""Dues account decisions other than payments: opening, income, assessment, hardship relief, reasons, transfers."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from services.membership.contract.commands.dues import (
    ApproveExemption,
    ApproveReduction,
    AssessMonth,
    ContinueAfterTransfer,
    DeclareIncome,
    OpenAccount,
    RecordValidReason,
)
from services.membership.contract.events.dues import (
    DuesAccountOpened,
    DuesAccountReopened,
    DuesContinuedAfterTransfer,
    ExemptionApproved,
    IncomeChangeRule,
    IncomeDeclared,
    MonthAssessed,
    ReductionApproved,
    ValidReasonRecorded,
)
from services.membership.contract.events.transfers import TransferReceived
from services.membership.domain.dues_arrears import dues_paid_up_to
from services.membership.domain.dues_closing import reopen
from services.membership.domain.dues_scale import check_income, check_money, scale_in
from services.membership.domain.dues_state import (
    DuesAccount,
    assessment,
    existing,
    income_on,
    month,
    require_open_in,
    require_self_or_scope,
    within,
)
from services.membership.domain.member_state import Member
from services.membership.domain.rules import require_org_scope
from services.membership.policy.dues import DuesPolicy
from services.pure.dates import effective_on, month_of, shift_month
from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.pure.personal_text import in_words, not_personal
from services.pure.text import require_text


def dues_keepers(member: Member) -> tuple[str, ...]:
    """The organisations that may keep a member's dues account (B2 "where": the formal branch; a member from
    outside the county also the host organisation they take part at). Empty for a person not a member here."""
    if not member.exists:
        return ()
    host = member.away.host_org_id if member.external_org is not None and member.away else None
    return tuple(o for o in (member.formal_org_id, host) if o)


def open_account(
    state: DuesAccount, cmd: OpenAccount, policy: DuesPolicy, keepers: tuple[str, ...] | None
) -> DuesAccountOpened:
    """``keepers``: :func:`dues_keepers` of the member's record (the account sits in that organisation's ledger)."""
    require_org_scope(cmd.actor, cmd.org_id, "open dues accounts")
    if state.exists:
        raise AlreadyExists(f"{cmd.member_id} already has a dues account, owed from {state.owed_from}")
    if keepers is None:
        raise TypeError("OpenAccount needs the context parameter keepers= (dues_keepers of the member's record)")
    if not keepers:
        raise NotFound(f"{cmd.member_id} is not a member on record; register the member (or record the admission) "
                       "before opening their dues account")
    if cmd.org_id not in keepers:
        raise DomainError(f"a member's dues are kept by their formal organisation; give org_id {keepers[0]}, "
                          "not another organisation")
    owed_from = month(cmd.owed_from, "owed_from")
    if cmd.admitted_on is not None and month_of(cmd.admitted_on) != owed_from:
        raise DomainError(f"a probationary member owes dues from the month of admission ({month_of(cmd.admitted_on)}),"
                          f" not {owed_from}")
    if owed_from > month_of(cmd.today):
        raise DomainError(f"owed_from {owed_from} is in the future; open the account in or after that month")
    scale = scale_in(policy, owed_from)
    base, flat = check_income(scale, cmd.category, cmd.base, cmd.flat_amount)
    return DuesAccountOpened(
        member_id=cmd.member_id, org_id=cmd.org_id, category=cmd.category, base=base, flat_amount=flat,
        owed_from=owed_from, admitted_on=cmd.admitted_on, opened_on=cmd.today, actor=cmd.actor.label,
        policy_version=scale.version,
    )


def declare_income(state: DuesAccount, cmd: DeclareIncome, policy: DuesPolicy) -> IncomeDeclared:
    """B2 art. 10 (default): a new base applies from the month it is paid; the yearly practice from next January."""
    existing(state, cmd.member_id)
    require_self_or_scope(cmd.actor, state, "declare income for dues")
    from_month = month(cmd.from_month, "from_month")
    if from_month < state.owed_from:
        raise DomainError(f"from_month {from_month} is before the account's first owed month {state.owed_from}")
    require_open_in(state, from_month, "declare income")
    scale = scale_in(policy, from_month)
    rule = scale.income_change_rule
    applies_from = from_month
    if rule is IncomeChangeRule.NEXT_YEARLY_ASSESSMENT and not from_month.endswith("-01"):
        applies_from = f"{int(from_month[:4]) + 1:04d}-01"
    assessed = sorted(m for m in state.assessed if m >= applies_from)
    if assessed:
        raise StateConflict(f"{assessed[0]} is already assessed and keeps its amount; declare the new income from "
                            f"{shift_month(assessed[-1], 1)} or later")
    previous = income_on(state, applies_from)
    category = cmd.category or previous.category
    flat = cmd.flat_amount if cmd.flat_amount is not None or cmd.category else previous.flat_amount
    base, flat = check_income(scale_in(policy, applies_from), category, cmd.base, flat)
    return IncomeDeclared(
        member_id=state.member_id, from_month=from_month, applies_from=applies_from, base=base, category=category,
        flat_amount=flat, rule=rule, declared_on=cmd.today, actor=cmd.actor.label, policy_version=scale.version,
    )


def assess(state: DuesAccount, cmd: AssessMonth, policy: DuesPolicy) -> MonthAssessed:
    existing(state, cmd.member_id)
    require_org_scope(cmd.actor, state.org_id, "assess dues")
    m, begun = _assessed_month(cmd.month, cmd.today)
    if m < state.owed_from:
        raise DomainError(f"{state.member_id} owes dues from {state.owed_from}, not {m}")
    require_open_in(state, m, "assess dues")
    if not begun:
        raise DomainError(f"{m} has not begun; a month is assessed in or after it (pay ahead with a prepayment)")
    if m in state.assessed:
        done = state.assessed[m]
        raise StateConflict(f"{m} is already assessed at {done.amount} under {done.policy_version}; an amount is "
                            "assessed once and never changes")
    return assessment(state, m, policy, cmd.today)


@lru_cache(maxsize=64)
def _assessed_month(value: str, today: date) -> tuple[str, bool]:
    """The month an AssessMonth names, and whether it has begun on ``today``: what the monthly run asks of every
    account's command alike, so remembered (a refused month raises each time)."""
    m = month(value, "month")
    return m, m <= month_of(today)


def _approving_org(actor: Actor, next_higher_org_id: str | None, action: str) -> str:
    """B2: hardship relief is approved by the next-higher committee (or the county), never the branch itself."""
    if actor.role is Role.COUNTY_ADMIN:
        return actor.org_id or "county"
    if actor.role is not Role.TOWNSHIP_COMMITTEE:
        raise Forbidden(f"only the next-higher committee may {action}; a {actor.role.value} may propose it after "
                        "branch study")
    if next_higher_org_id is None:
        raise TypeError(f"{action} needs the context parameter next_higher_org_id=")
    if actor.org_id != next_higher_org_id:
        raise Forbidden(f"{actor.org_id} is not the committee above this member's branch; {next_higher_org_id} is")
    return next_higher_org_id


def approve_relief(
    state: DuesAccount, cmd: ApproveReduction | ApproveExemption, next_higher_org_id: str | None
) -> ReductionApproved | ExemptionApproved:
    existing(state, cmd.member_id)
    org = _approving_org(cmd.actor, next_higher_org_id, "approve reduced or zero dues")
    if cmd.approval_id in state.approval_ids:
        raise AlreadyExists(f"approval {cmd.approval_id} is already recorded for {state.member_id}")
    start = month(cmd.from_month, "from_month")
    until = month(cmd.until_month, "until_month") if cmd.until_month is not None else None
    if until is not None and until < start:
        raise DomainError(f"until_month {until} is before from_month {start}")
    if start < state.owed_from:
        raise DomainError(f"{state.member_id} owes dues from {state.owed_from}; relief cannot start at {start}")
    require_open_in(state, start, "approve relief")
    if cmd.branch_studied_on > cmd.today:
        raise DomainError(f"branch_studied_on {cmd.branch_studied_on} is in the future; the branch studies it first")
    clash = sorted(m for m in state.assessed if within(m, start, until))
    if clash:
        raise StateConflict(f"{clash[0]} is already assessed and keeps its amount; start the relief from "
                            f"{shift_month(clash[-1], 1)}")
    reason = not_personal(require_text(cmd.reason, "reason"), "reason", instead=in_words("why the dues are relieved"))
    if isinstance(cmd, ApproveReduction):
        return ReductionApproved(
            member_id=state.member_id, approval_id=cmd.approval_id, from_month=start, until_month=until,
            monthly_amount=check_money(cmd.monthly_amount, "monthly_amount"), reason=reason,
            branch_studied_on=cmd.branch_studied_on, approved_on=cmd.today, actor=cmd.actor.label, approving_org_id=org,
        )
    return ExemptionApproved(
        member_id=state.member_id, approval_id=cmd.approval_id, from_month=start, until_month=until, reason=reason,
        branch_studied_on=cmd.branch_studied_on, approved_on=cmd.today, actor=cmd.actor.label, approving_org_id=org,
    )


def record_reason(state: DuesAccount, cmd: RecordValidReason) -> ValidReasonRecorded:
    existing(state, cmd.member_id)
    require_org_scope(cmd.actor, state.org_id, "record a valid reason for unpaid dues")
    start = month(cmd.from_month, "from_month")
    require_open_in(state, start, "record a valid reason")
    until = month(cmd.until_month, "until_month") if cmd.until_month is not None else None
    if until is not None and until < start:
        raise DomainError(f"until_month {until} is before from_month {start}")
    reason = not_personal(require_text(cmd.reason, "reason"), "reason", instead=in_words("why no dues were paid"))
    return ValidReasonRecorded(member_id=state.member_id, from_month=start, until_month=until,
                               reason=reason, recorded_on=effective_on(cmd),
                               actor=cmd.actor.label)


def continue_after_transfer(
    state: DuesAccount, cmd: ContinueAfterTransfer, policy: DuesPolicy, *, received_by: str | None = None
) -> DuesContinuedAfterTransfer | DuesAccountReopened:
    """Open the dues account at the receiving organisation of a member whose account was never kept here, or
    reopen the account of a member who transferred out of the county and came back (``dues_closing.reopen``).

    An account kept here moves by itself when the transfer is received (:func:`follow_reception`); what is
    left to this command is the member whose dues were kept elsewhere: the letter's "paid up to" month and
    their category (and base) open the account from the month after it — no gap, no double charge (B3).
    ``received_by``: the organisation that received the member with this letter, from the member's own record
    (None: no such letter was received for them). Only a real, received letter continues the dues."""
    require_org_scope(cmd.actor, cmd.to_org_id, "receive a member's dues")
    paid_up_to = month(cmd.paid_up_to, "paid_up_to")
    letter = require_text(cmd.letter_number, "letter_number")
    if received_by is None:
        raise StateConflict("no letter with that number was received for this member: record the transfer's "
                            "reception first — dues continue on a letter that exists")
    if received_by != cmd.to_org_id:
        raise StateConflict(f"the letter took this member to {received_by}, not to the organisation named")
    if cmd.received_on > cmd.today:
        raise DomainError(f"received_on {cmd.received_on} is in the future")
    if state.exists:
        if state.closed is not None:
            return reopen(state, state.closed, cmd, policy, paid_up_to=paid_up_to, letter=letter)
        if letter in state.letter_numbers:
            raise AlreadyExists(f"the dues of {state.member_id} already moved to {state.org_id} when letter "
                                f"{letter} was received")
        raise StateConflict(f"{state.member_id}'s dues account is kept here ({state.org_id}): it moves by itself "
                            "when the transfer is received; this command only opens an account kept elsewhere")
    if cmd.category is None:
        raise DomainError("a member new to this system needs a dues category (and base) to continue the dues")
    continues_from = shift_month(paid_up_to, 1)
    base, flat = check_income(scale_in(policy, continues_from), cmd.category, cmd.base, cmd.flat_amount)
    return DuesContinuedAfterTransfer(
        member_id=cmd.member_id, from_org_id=None, to_org_id=cmd.to_org_id, letter_number=letter,
        paid_up_to=paid_up_to, continues_from=continues_from, moved_months=(), opened=True,
        category=cmd.category, base=base, flat_amount=flat, received_on=cmd.received_on, actor=cmd.actor.label,
    )


def follow_reception(
    state: DuesAccount, received: TransferReceived, policy: DuesPolicy, *, actor: str
) -> list[DuesContinuedAfterTransfer]:
    """B3: the reception of a transfer moves the member's dues account to the receiving organisation.

    The account's own record says what is paid (not the letter's text): the months paid before the reception
    stay paid where they were paid; the receiving organisation is owed from the first month not settled, and
    assessed months from then on still unpaid are owed to it now. Nothing moves when there is no account here
    (dues kept elsewhere are opened with ContinueAfterTransfer), when the member left the county (the receiving
    organisation keeps their dues), or when this letter already moved it (a repeated reaction)."""
    if not state.exists or state.closed is not None or received.to_external is not None or not received.to_org_id:
        return []
    if received.letter_number in state.letter_numbers or received.to_org_id == state.org_id:
        return []
    paid_up_to = dues_paid_up_to(state, received.received_on, policy)
    continues_from = shift_month(paid_up_to, 1)
    income = income_on(state, continues_from)
    return [DuesContinuedAfterTransfer(
        member_id=state.member_id, from_org_id=state.org_id, to_org_id=received.to_org_id,
        letter_number=received.letter_number, paid_up_to=paid_up_to, continues_from=continues_from,
        moved_months=tuple(sorted(m for m in state.assessed if m >= continues_from and m not in state.paid)),
        opened=False, category=income.category, base=income.base, flat_amount=income.flat_amount,
        received_on=received.received_on, actor=actor,
    )]
