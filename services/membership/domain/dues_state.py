"""State of a member's dues account (stream ``dues-<member_id>``) and the month arithmetic the rules share.

A month is owed from ``owed_from`` on, except in the account's *gaps* and after its closing. The membership here
ended (``closed``, ``domain/dues_closing.py``) and, for a member who transferred out of the county and came back,
began again (``DuesAccountReopened``): the months after the closing month and before the reopening month were
owed elsewhere, never here (``gaps``). So the owed months are periods: from ``owed_from`` to the first gap, between
gaps, and from the last reopening on (up to the closing month while the account is closed). Every rule that walks
owed months asks :func:`owed` / :func:`owed_months`. A month is *settled* when a payment covered it, or when nothing is
due for it (exempt, or assessed at zero). Payments go oldest month first, so the unsettled months
are always the newest ones: the month before the first unsettled one is what a transfer letter
states as "dues paid up to" (B3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

from services.membership.contract.events.common import DuesCategory
from services.membership.contract.events.dues import (
    Adjustment,
    AllocationKind,
    ClosingReason,
    MonthAssessed,
    PayerKind,
)
from services.membership.domain.dues_scale import compute, scale_in
from services.membership.domain.rules import require_org_scope
from services.membership.policy.dues import DuesPolicy
from services.pure.dates import first_day, months_from, shift_month, year_month
from services.pure.errors import Forbidden, NotFound, StateConflict
from services.pure.frozen import made
from services.pure.identity import Actor, Role

ZERO = Decimal(0)


# --- months ------------------------------------------------------------------------------------------

#: A "YYYY-MM" month from a command, refused with the expected form: the one month check (services/pure/dates.py),
#: under the name the dues rules call it by.
month = year_month


def within(m: str, start: str, until: str | None) -> bool:
    return start <= m and (until is None or m <= until)


# --- state -------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class IncomeEntry:
    """Category and base that apply from ``applies_from`` until a later entry."""

    applies_from: str
    category: DuesCategory
    base: Decimal | None
    flat_amount: Decimal | None


@dataclass(frozen=True, kw_only=True)
class Relief:
    """An approved reduction (``monthly_amount``) or exemption (zero) for a range of months."""

    approval_id: str
    kind: Adjustment
    from_month: str
    until_month: str | None
    monthly_amount: Decimal
    approving_org_id: str


@dataclass(frozen=True, kw_only=True)
class PaidPart:
    """One payment's share of one month: what the statement shows as paid on, by whom, where."""

    payment_id: str
    amount: Decimal
    kind: AllocationKind
    paid_on: date
    payer_kind: PayerKind
    payer_name: str | None
    receiving_org_id: str


@dataclass(frozen=True, kw_only=True)
class ValidReason:
    from_month: str
    until_month: str | None
    reason: str


@dataclass(frozen=True, kw_only=True)
class Closing:
    """The membership ended: dues are owed up to and including ``last_month``, never after."""

    last_month: str
    reason: ClosingReason
    closed_on: date


@dataclass(frozen=True, kw_only=True)
class Gap:
    """A closing that a reopening ended: the months after ``closed.last_month`` and before ``reopened_from`` are
    never owed here (the member's dues were kept outside the county then)."""

    closed: Closing
    reopened_from: str
    reopened_on: date
    letter_number: str

    def holds(self, m: str) -> bool:
        return self.closed.last_month < m < self.reopened_from


@dataclass(frozen=True, kw_only=True)
class DuesAccount:
    exists: bool = False
    member_id: str = ""
    org_id: str = ""
    previous_org_ids: tuple[str, ...] = ()
    owed_from: str = ""
    #: The month up to which dues were paid elsewhere, for an account opened from a transfer letter.
    carried_paid_up_to: str | None = None
    incomes: tuple[IncomeEntry, ...] = ()
    reliefs: tuple[Relief, ...] = ()
    assessed: Mapping[str, MonthAssessed] = field(default_factory=dict)
    paid: Mapping[str, tuple[PaidPart, ...]] = field(default_factory=dict)
    payment_ids: frozenset[str] = frozenset()
    approval_ids: frozenset[str] = frozenset()
    letter_numbers: frozenset[str] = frozenset()
    valid_reasons: tuple[ValidReason, ...] = ()
    total_paid: Decimal = ZERO
    total_allocated: Decimal = ZERO
    total_extra: Decimal = ZERO
    central_committee: Decimal = ZERO
    #: Set once the membership ended (``DuesAccountClosed``); months after ``closed.last_month`` are never owed.
    closed: Closing | None = None
    #: Closings that a return to the county reopened, oldest first: their months are owed by nobody here.
    gaps: tuple[Gap, ...] = ()


INITIAL = DuesAccount()
_ACCOUNT_FIELDS = frozenset(f.name for f in fields(DuesAccount))


def updated(state: DuesAccount, **changes: Any) -> DuesAccount:
    """``dataclasses.replace(state, **changes)``, which the fold does once per event, at a tenth of its cost: replace
    reads every field's definition and runs the frozen ``__init__`` each time."""
    if not changes.keys() <= _ACCOUNT_FIELDS:
        raise TypeError(f"a dues account has no field {sorted(changes.keys() - _ACCOUNT_FIELDS)[0]}")
    new = object.__new__(DuesAccount)
    new.__dict__.update(state.__dict__, **changes)
    return new


def existing(state: DuesAccount, member_id: str) -> DuesAccount:
    if not state.exists:
        raise NotFound(f"no dues account for {member_id}; open one (or continue it after a transfer) first")
    return state


def last_owed(state: DuesAccount, limit: str) -> str:
    """``limit``, or the closing month when the account closed before it: the last month that can be owed while it
    is closed (a month in a gap is not owed either: :func:`owed`)."""
    closed = state.closed
    return limit if closed is None or limit <= closed.last_month else closed.last_month


def gap_holding(state: DuesAccount, m: str) -> Gap | None:
    """The gap ``m`` falls in (closed, then reopened after it), if any."""
    for gap in state.gaps:
        if gap.holds(m):
            return gap
    return None


def ended_in(state: DuesAccount, m: str) -> bool:
    """Whether the membership here had ended in month ``m``: after the closing month, or in a gap between a closing
    and a reopening (the member was away, their dues kept outside the county). Nothing is owed for such a month."""
    if state.closed is not None and m > state.closed.last_month:
        return True
    return bool(state.gaps) and gap_holding(state, m) is not None


def owed(state: DuesAccount, m: str) -> bool:
    """Whether month ``m`` can be owed here at all: from ``owed_from``, outside every gap, up to the closing month."""
    return m >= state.owed_from and not ended_in(state, m)


def owed_months(state: DuesAccount, until: str) -> list[str]:
    """The owed months from ``owed_from`` to ``until`` (bounded by the closing month), without the gaps' months: so
    a run of months is consecutive only within one owed period."""
    months = months_from(state.owed_from, last_owed(state, until))
    return [m for m in months if gap_holding(state, m) is None] if state.gaps else months


_WHY = {ClosingReason.DIED: "the member died", ClosingReason.REMOVED: "the member was removed",
        ClosingReason.TRANSFERRED_OUT: "the member transferred to an organisation outside the county"}


def require_open_in(state: DuesAccount, m: str, action: str) -> None:
    """Refuse (409) to ``action`` for a month after the account closed, or in a gap between a closing and a
    reopening; months up to the closing month (and from the reopening month) stay open."""
    closed = state.closed
    if closed is not None and m > closed.last_month:
        raise StateConflict(f"the dues account of {state.member_id} closed in {closed.last_month} "
                            f"({_WHY[closed.reason]} on {closed.closed_on}): cannot {action} for {m}; nothing is owed "
                            "after the closing month", closed_in=closed.last_month, reason=closed.reason.value)
    gap = gap_holding(state, m) if state.gaps else None
    if gap is not None:
        raise StateConflict(f"the dues account of {state.member_id} closed in {gap.closed.last_month} "
                            f"({_WHY[gap.closed.reason]} on {gap.closed.closed_on}) and reopened from "
                            f"{gap.reopened_from}: cannot {action} for {m}; nothing is owed here between the two",
                            closed_in=gap.closed.last_month, reason=gap.closed.reason.value,
                            reopened_from=gap.reopened_from)


def income_on(state: DuesAccount, m: str) -> IncomeEntry:
    """The category and base for month ``m``: the latest entry applying from ``m`` or before (later wins ties)."""
    best: IncomeEntry | None = None
    for entry in state.incomes:
        if entry.applies_from <= m and (best is None or entry.applies_from >= best.applies_from):
            best = entry
    return best if best is not None else state.incomes[0]


def relief_on(state: DuesAccount, m: str) -> Relief | None:
    if not state.reliefs:
        return None
    found = [r for r in state.reliefs if within(m, r.from_month, r.until_month)]
    return found[-1] if found else None


def paid_in(state: DuesAccount, m: str) -> Decimal:
    return sum((p.amount for p in state.paid.get(m, ())), ZERO)


def assessment(state: DuesAccount, m: str, policy: DuesPolicy, today: date) -> MonthAssessed:
    """Month ``m``'s amount under the scale in force in ``m``, after any approved reduction or exemption."""
    income = income_on(state, m)
    c = compute(scale_in(policy, m), income.category, income.base, income.flat_amount)
    relief, amount, adjustment = relief_on(state, m), c.amount, Adjustment.NONE
    if relief is not None:
        adjustment = relief.kind
        amount = ZERO if relief.kind is Adjustment.EXEMPTION else min(relief.monthly_amount, c.amount)
    return made(
        MonthAssessed, backdating_reason=None, member_id=state.member_id, org_id=state.org_id, month=m,
        category=c.category, base_kind=c.base_kind, base=c.base, bracket=c.bracket, bracket_up_to=c.bracket_up_to,
        rate=c.rate, standard_amount=c.amount, amount=amount, adjustment=adjustment, assessed_on=today,
        policy_version=c.policy_version,
    )


def amount_for(state: DuesAccount, m: str, policy: DuesPolicy) -> Decimal:
    """The assessed amount of ``m``, or what it would be assessed at with what is known now."""
    found = state.assessed.get(m)
    if found is not None:
        return found.amount
    return assessment(state, m, policy, first_day(m)).amount


def settled(state: DuesAccount, m: str, policy: DuesPolicy) -> bool:
    """A payment covered ``m``, or nothing is due for it (nothing at all in a gap: the dues were kept elsewhere)."""
    if state.gaps and gap_holding(state, m) is not None:
        return True
    return m in state.paid or amount_for(state, m, policy) == 0


def first_unsettled(state: DuesAccount, policy: DuesPolicy, *, limit: str) -> str:
    """The oldest owed month not settled, looking no further than ``limit`` past the last covered month."""
    last = max([*state.paid.keys(), limit])
    m = state.owed_from
    while m <= last and settled(state, m, policy):
        m = shift_month(m, 1)
    return m


def shortfall(state: DuesAccount, m: str) -> Decimal:
    """A prepaid month later assessed higher owes the difference (B2: settled at the next payment); nothing is owed
    for a month after the account closed or in a gap."""
    found = state.assessed.get(m)
    if found is None or m not in state.paid or not owed(state, m):
        return ZERO
    return max(found.amount - paid_in(state, m), ZERO)


# --- who may act -------------------------------------------------------------------------------------

def require_self_or_scope(actor: Actor, state: DuesAccount, action: str) -> None:
    """The member acts on their own account; otherwise their organisation (or township, county) does."""
    if actor.role is Role.MEMBER:
        if actor.subject != state.member_id:
            raise Forbidden(f"a member may {action} only for themselves, not for {state.member_id}")
        return
    require_org_scope(actor, state.org_id, action)

