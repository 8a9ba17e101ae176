"""Events of party dues (党费, B2): the published dues scale, members' accounts and the branch ledger.

Months cross the wire as "YYYY-MM" strings (as the transfer letter names them, B3); money is
``Decimal`` and crosses the wire as a string. The dues scale is itself data carried on an event
(``DuesScalePublished``), so its shape lives here with the events; the shipped 2008 scale and the
lookup of the scale in force live in ``services.membership.policy.dues``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.membership.contract.events.common import DuesCategory
from services.pure.dates import RecordedLate

# --- the scale: policy as data ---------------------------------------------------------------------


class BaseKind(StrEnum):
    """What a category's base is (B2 table)."""

    #: Fixed, regular monthly wage after tax.
    MONTHLY_WAGE_AFTER_TAX = "monthly_wage_after_tax"
    #: Annual-salary (年薪制) members: the pay received in that month.
    PAY_RECEIVED_THAT_MONTH = "pay_received_that_month"
    #: Self-employed without monthly pay: the average monthly net income of the previous quarter.
    PREVIOUS_QUARTER_AVERAGE_NET_INCOME = "previous_quarter_average_net_income"
    PENSION = "pension"
    #: Farmers, students, unemployed, members on relief: a flat amount, no base.
    FLAT = "flat"


class RoundingMode(StrEnum):
    """The ``decimal`` rounding modes a scale may name (D7: rounding is a setting, not a national rule)."""

    ROUND_HALF_UP = "ROUND_HALF_UP"
    ROUND_HALF_EVEN = "ROUND_HALF_EVEN"
    ROUND_DOWN = "ROUND_DOWN"
    ROUND_UP = "ROUND_UP"


class IncomeChangeRule(StrEnum):
    """B2: art. 10 applies a new base from the month it is paid; 2017 practice fixes the amount yearly."""

    FROM_MONTH_PAID = "from_month_paid"
    NEXT_YEARLY_ASSESSMENT = "next_yearly_assessment"


class RemittanceFrequency(StrEnum):
    """How often a branch passes collected dues upward (D7: not found nationally; local rules vary)."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"


@dataclass(frozen=True, kw_only=True)
class Bracket:
    """One bracket: bases up to ``up_to`` inclusive (``None``: no upper bound) pay ``rate`` (0.005 = 0.5 %)."""

    up_to: Decimal | None
    rate: Decimal


@dataclass(frozen=True, kw_only=True)
class CategoryRule:
    """How one category's monthly amount is found: brackets over a base, or a flat amount.

    A flat category may let members choose their amount within ``flat_min``–``flat_max`` (farmers:
    0.2–1 yuan); ``flat_amount`` is what a member owes who chose nothing.
    """

    category: DuesCategory
    base_kind: BaseKind
    brackets: tuple[Bracket, ...] = ()
    flat_amount: Decimal | None = None
    flat_min: Decimal | None = None
    flat_max: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class DuesScale:
    """A versioned, effective-dated dues scale with every number the dues rules apply (B2, D7)."""

    version: str
    #: The first day of the month from which the scale is in force; never before its publication month.
    effective_from: date
    categories: tuple[CategoryRule, ...]
    #: D7: rounding is not national; default to the fen (0.01 yuan), half up, applied once per amount.
    rounding_quantum: Decimal = Decimal("0.01")
    rounding: RoundingMode = RoundingMode.ROUND_HALF_UP
    #: B2 art. 12: arrears (补交) at most 6 months in one payment.
    max_arrears_months: int = 6
    #: B2: prepayment (预交) at most 6 months in one payment.
    max_prepayment_months: int = 6
    #: B2 arts. 11, 14: a voluntary one-off payment of at least this much goes to the Central Committee.
    central_committee_threshold: Decimal = Decimal(1000)
    #: D4: early warnings after this many consecutive unpaid months (a county choice, e.g. 3).
    reminder_months: tuple[int, ...] = (3,)
    #: B2/D4: this many consecutive months unpaid without a valid reason opens a lapse review.
    lapse_months: int = 6
    #: D7: how often collected dues are passed upward (local rules: quarterly or half-yearly).
    remittance_frequency: RemittanceFrequency = RemittanceFrequency.QUARTERLY
    #: B2: art. 10 (from the month paid) or the 2017 yearly practice.
    income_change_rule: IncomeChangeRule = IncomeChangeRule.FROM_MONTH_PAID

    def rule_for(self, category: DuesCategory) -> CategoryRule:
        for rule in self.categories:
            if rule.category is category:
                return rule
        raise LookupError(f"dues scale {self.version} has no rule for {category.value}")


@dataclass(frozen=True, kw_only=True)
class DuesScalePublished(RecordedLate):
    """The administrator published a dues scale; it applies to months from ``scale.effective_from`` on."""

    scale: DuesScale
    published_on: date
    actor: str
    approving_org_id: str


# --- a member's account ----------------------------------------------------------------------------


class PayerKind(StrEnum):
    """Who hands over the money. ``organisation`` exists only to be refused (B2: 不得垫交或扣缴)."""

    MEMBER = "member"
    PROXY = "proxy"
    ORGANISATION = "organisation"


class AllocationKind(StrEnum):
    #: An assessed month paid at its assessed amount.
    ASSESSED = "assessed"
    #: A month not yet assessed, paid in advance at the amount known on the day of payment.
    PREPAID = "prepaid"
    #: The increase on a prepaid month once it is assessed higher, settled at the next payment.
    TOP_UP = "top_up"


class Adjustment(StrEnum):
    """Why an assessed amount differs from the scale's standard amount."""

    NONE = "none"
    REDUCTION = "reduction"
    EXEMPTION = "exemption"


@dataclass(frozen=True, kw_only=True)
class MonthAllocation:
    month: str
    amount: Decimal
    kind: AllocationKind


@dataclass(frozen=True, kw_only=True)
class DuesAccountOpened(RecordedLate):
    member_id: str
    org_id: str
    category: DuesCategory
    base: Decimal | None
    #: A flat-rate member's chosen monthly amount (farmers, within the scale's bounds).
    flat_amount: Decimal | None
    #: The first month dues are owed ("YYYY-MM"); a probationary member's admission month.
    owed_from: str
    admitted_on: date | None
    opened_on: date
    actor: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class IncomeDeclared(RecordedLate):
    """A new base (and possibly category) from ``from_month``; it applies from ``applies_from`` under the rule."""

    member_id: str
    from_month: str
    applies_from: str
    base: Decimal | None
    category: DuesCategory
    flat_amount: Decimal | None
    rule: IncomeChangeRule
    declared_on: date
    actor: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class MonthAssessed(RecordedLate):
    """One month's amount, with everything the member's statement needs to explain it."""

    member_id: str
    org_id: str
    month: str
    category: DuesCategory
    base_kind: BaseKind
    base: Decimal | None
    #: 1-based bracket number and its inclusive upper bound (``None``: open bracket or a flat category).
    bracket: int | None
    bracket_up_to: Decimal | None
    rate: Decimal | None
    #: The scale's amount before any approved reduction or exemption.
    standard_amount: Decimal
    amount: Decimal
    adjustment: Adjustment
    assessed_on: date
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class ReductionApproved(RecordedLate):
    """Hardship: reduced dues after branch study, approved by the next-higher committee (B2)."""

    member_id: str
    approval_id: str
    from_month: str
    until_month: str | None
    monthly_amount: Decimal
    reason: str
    branch_studied_on: date
    approved_on: date
    actor: str
    approving_org_id: str


@dataclass(frozen=True, kw_only=True)
class ExemptionApproved(RecordedLate):
    """Hardship: zero dues after branch study, approved by the next-higher committee (B2)."""

    member_id: str
    approval_id: str
    from_month: str
    until_month: str | None
    reason: str
    branch_studied_on: date
    approved_on: date
    actor: str
    approving_org_id: str


@dataclass(frozen=True, kw_only=True)
class DuesPaid(RecordedLate):
    """Money handed over for a member: ``amount`` = sum of ``allocations`` + ``extra``, always."""

    member_id: str
    payment_id: str
    #: The member's formal organisation when paid; ``receiving_org_id`` took the money (a host for a
    #: certificate holder, B2/B4).
    org_id: str
    receiving_org_id: str
    paid_on: date
    amount: Decimal
    allocations: tuple[MonthAllocation, ...]
    extra: Decimal
    #: B2 arts. 11, 14: a voluntary extra at or above the threshold goes entirely to the Central Committee.
    to_central_committee: bool
    payer_kind: PayerKind
    payer_name: str | None
    branch_consent: bool
    actor: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class ValidReasonRecorded(RecordedLate):
    """The branch accepted a reason for not paying (illness, disaster…): those months do not count to lapse."""

    member_id: str
    from_month: str
    until_month: str | None
    reason: str
    #: The day the branch accepted the reason (the command's ``accepted_on``, default the day it is entered;
    #: the wire name stays as it was — when it was entered is the store's ``recorded_at``).
    recorded_on: date
    actor: str


@dataclass(frozen=True, kw_only=True)
class DuesContinuedAfterTransfer(RecordedLate):
    """The receiving organisation continues the dues from ``continues_from`` (the month after the letter's).

    ``opened`` is true when the member came from outside the system and the account starts here;
    ``moved_months`` are assessed months after ``paid_up_to`` still unpaid, now owed to the new organisation.
    """

    member_id: str
    from_org_id: str | None
    to_org_id: str
    letter_number: str
    paid_up_to: str
    continues_from: str
    moved_months: tuple[str, ...]
    opened: bool
    category: DuesCategory
    base: Decimal | None
    flat_amount: Decimal | None
    received_on: date
    actor: str


class ClosingReason(StrEnum):
    """Why a member's dues account closed: their membership here ended."""

    DIED = "died"
    REMOVED = "removed"
    #: Their organisational relationship was received by an organisation outside the county.
    TRANSFERRED_OUT = "transferred_out"


@dataclass(frozen=True, kw_only=True)
class DuesAccountClosed(RecordedLate):
    """The membership ended, so the account closed: dues are owed up to and including ``last_month``, never after.

    Months up to ``last_month`` stay as they are (still owed when unpaid, payable); ``cancelled_months`` are
    months after it that had been assessed (a death or removal recorded late) and are no longer owed.
    ``cause_id`` is the id of the event that ended the membership (``MemberDied``, ``MembershipRemoved`` or the
    ``TransferReceived`` to an organisation outside the county)."""

    member_id: str
    org_id: str
    last_month: str
    reason: ClosingReason
    #: The day the membership ended: the death, the removal, or the reception outside the county.
    closed_on: date
    cancelled_months: tuple[str, ...]
    cause_id: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class DuesAccountReopened(RecordedLate):
    """A member whose account closed when they transferred out of the county came back with a transfer in: the
    account is kept again, by ``org_id`` (the receiving organisation), owed from ``reopened_from`` on.

    The history stays: months up to ``closed_in`` are owed as they were (arrears still payable); the months after
    ``closed_in`` and before ``reopened_from`` are a gap, owed by nobody here (the organisation outside kept the
    dues then). ``reopened_from`` is the month after the returning letter's ``paid_up_to``, never before the month
    after ``closed_in``. ``from_org_id`` kept the account up to the closing; ``closed_reason`` is the closing's
    (only ``transferred_out`` reopens: a death is final, a removed member rejoins as a new person)."""

    member_id: str
    org_id: str
    from_org_id: str
    closed_in: str
    closed_reason: ClosingReason
    letter_number: str
    paid_up_to: str
    reopened_from: str
    category: DuesCategory
    base: Decimal | None
    flat_amount: Decimal | None
    received_on: date
    actor: str


# --- the branch ledger -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DuesRemitted(RecordedLate):
    """A branch passed the dues it collected in ``period`` upward (``2026-Q1``, ``2026-H1``, ``2026-03``, ``2026``)."""

    org_id: str
    period: str
    frequency: RemittanceFrequency
    amount: Decimal
    central_committee_amount: Decimal
    to_org_id: str
    remitted_on: date
    actor: str
    policy_version: str


DuesPolicyEvent = DuesScalePublished
DuesAccountEvent = (
    DuesAccountOpened | IncomeDeclared | MonthAssessed | ReductionApproved | ExemptionApproved | DuesPaid
    | ValidReasonRecorded | DuesContinuedAfterTransfer | DuesAccountClosed | DuesAccountReopened
)
DuesLedgerEvent = DuesRemitted
DuesEvent = DuesPolicyEvent | DuesAccountEvent | DuesLedgerEvent

EVENTS: dict[str, type] = {
    "gb.membership.dues_scale_published.v1": DuesScalePublished,
    "gb.membership.dues_account_opened.v1": DuesAccountOpened,
    "gb.membership.income_declared.v1": IncomeDeclared,
    "gb.membership.month_assessed.v1": MonthAssessed,
    "gb.membership.dues_reduction_approved.v1": ReductionApproved,
    "gb.membership.dues_exemption_approved.v1": ExemptionApproved,
    "gb.membership.dues_paid.v1": DuesPaid,
    "gb.membership.dues_valid_reason_recorded.v1": ValidReasonRecorded,
    "gb.membership.dues_continued_after_transfer.v1": DuesContinuedAfterTransfer,
    "gb.membership.dues_account_closed.v1": DuesAccountClosed,
    "gb.membership.dues_account_reopened.v1": DuesAccountReopened,
    "gb.membership.dues_remitted.v1": DuesRemitted,
}
