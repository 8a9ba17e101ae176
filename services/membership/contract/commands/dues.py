"""Commands on party dues (党费, B2): the dues scale, a member's account, and a branch's ledger.

Streams: ``dues-policy`` (PublishDuesScale), ``dues-<member_id>`` (the account commands),
``dues-ledger-<org_id>`` (RemitUpward). Months are "YYYY-MM"; money is ``Decimal`` with at most two
decimals (the fen); ``today`` and the acting person come from outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar

from services.membership.contract.events.common import DuesCategory
from services.membership.contract.events.dues import DuesScale, PayerKind
from services.pure.identity import Actor


@dataclass(frozen=True, kw_only=True)
class PublishDuesScale:
    """Publish a dues scale from ``scale.effective_from`` (a first day of a month, never before this month)."""

    actor: Actor
    today: date
    scale: DuesScale


@dataclass(frozen=True, kw_only=True)
class OpenAccount:
    """Open a member's dues account: category, base, and the month from which dues are owed.

    A probationary member owes from the month of admission (``admitted_on``, B2).
    """

    actor: Actor
    today: date
    member_id: str
    org_id: str
    category: DuesCategory
    #: Required for bracket categories (after-tax wage, month's pay, quarterly average, pension).
    base: Decimal | None = None
    #: A farmer's chosen monthly amount within the scale's bounds; otherwise the scale's flat amount.
    flat_amount: Decimal | None = None
    owed_from: str
    admitted_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class DeclareIncome:
    """Declare a new base from ``from_month`` (the month the new pay is received); optionally a new category."""

    actor: Actor
    today: date
    member_id: str
    from_month: str
    base: Decimal | None = None
    category: DuesCategory | None = None
    flat_amount: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class AssessMonth:
    """Fix one month's amount from category, base and the scale in force in that month."""

    actor: Actor
    today: date
    member_id: str
    month: str


@dataclass(frozen=True, kw_only=True)
class ApproveReduction:
    """The next-higher committee approves reduced dues for a member in hardship, after branch study."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("branch_studied_on",)
    member_id: str
    approval_id: str
    from_month: str
    until_month: str | None = None
    monthly_amount: Decimal
    reason: str
    branch_studied_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ApproveExemption:
    """The next-higher committee approves zero dues for a member in hardship, after branch study."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("branch_studied_on",)
    member_id: str
    approval_id: str
    from_month: str
    until_month: str | None = None
    reason: str
    branch_studied_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordPayment:
    """Record money handed over for consecutive months (and/or a voluntary extra).

    ``amount`` must equal the months' amounts (assessed, or at the current amount for months paid in
    advance) plus any increase on earlier prepaid months plus ``extra``.
    """

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("paid_on",)
    member_id: str
    payment_id: str
    months: tuple[str, ...]
    amount: Decimal
    extra: Decimal = Decimal(0)
    paid_on: date
    payer_kind: PayerKind = PayerKind.MEMBER
    #: The relative or member who paid on the member's behalf (required for a proxy).
    payer_name: str | None = None
    #: B2: quarterly or multi-month payment, or payment by a proxy, needs the branch's consent.
    branch_consent: bool = False
    #: B2 forbids deducting dues from pay (扣缴); set only to be refused.
    deducted_from_pay: bool = False
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordValidReason:
    """Record the branch's acceptance of a reason for unpaid months; they no longer lead to a lapse review."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("accepted_on",)
    member_id: str
    from_month: str
    until_month: str | None = None
    reason: str
    #: The day the branch accepted the reason (default: today).
    accepted_on: date | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ContinueAfterTransfer:
    """The receiving organisation continues the dues from the month after the letter's ``paid_up_to``.

    For a member whose account is not in this system, ``category`` (and ``base``) open it here.
    """

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("received_on",)
    member_id: str
    to_org_id: str
    letter_number: str
    paid_up_to: str
    received_on: date
    category: DuesCategory | None = None
    base: Decimal | None = None
    flat_amount: Decimal | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RemitUpward:
    """Pass the dues a branch collected in ``period`` to the higher organisation."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("remitted_on",)
    org_id: str
    period: str
    amount: Decimal
    to_org_id: str
    remitted_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


DuesAccountCommand = (
    OpenAccount | DeclareIncome | AssessMonth | ApproveReduction | ApproveExemption | RecordPayment
    | RecordValidReason | ContinueAfterTransfer
)
