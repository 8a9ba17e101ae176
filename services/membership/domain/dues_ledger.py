"""The branch dues ledger (D5): pure views over accounts' events, remittance upward, and a member's statement.

Two ways to count, both shown: *by dues month* (expected vs paid for the months owed to the branch —
a month belongs to the organisation that assessed it, or that continued it after a transfer) and *by
receipt* (money the branch took in a period, including a hosted certificate holder's dues for their
formal branch). Remittances live on the branch's ledger stream ``dues-ledger-<org_id>``: the money
a branch received in a period is passed upward once the period is over, at the policy's frequency.
Every payment balances: its amount is its allocations to months plus its voluntary extra.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import assert_never

from services.membership.contract.commands.dues import RemitUpward
from services.membership.contract.events.dues import (
    Adjustment,
    BaseKind,
    DuesAccountClosed,
    DuesAccountEvent,
    DuesContinuedAfterTransfer,
    DuesPaid,
    DuesRemitted,
    MonthAssessed,
    RemittanceFrequency,
)
from services.membership.domain.dues_state import (
    ZERO,
    DuesAccount,
    PaidPart,
    amount_for,
    assessment,
    last_owed,
    owed,
    paid_in,
)
from services.membership.domain.rules import require_org_scope
from services.membership.policy.dues import DEFAULT_DUES_POLICY, DuesPolicy
from services.pure.dates import FIRST_DAY, LAST_DAY, first_day, month_of, months_from, shift_month
from services.pure.errors import DomainError, StateConflict


def ledger_stream_id(org_id: str) -> str:
    return f"dues-ledger-{org_id}"


# --- periods -----------------------------------------------------------------------------------------

def period_of(day: date, frequency: RemittanceFrequency) -> str:
    """``2026-03`` (monthly), ``2026-Q1``, ``2026-H1``, ``2026`` (yearly)."""
    match frequency:
        case RemittanceFrequency.MONTHLY:
            return month_of(day)
        case RemittanceFrequency.QUARTERLY:
            return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        case RemittanceFrequency.HALF_YEARLY:
            return f"{day.year}-H{(day.month - 1) // 6 + 1}"
        case RemittanceFrequency.YEARLY:
            return f"{day.year}"
        case _:
            assert_never(frequency)


def period_bounds(period: str, frequency: RemittanceFrequency) -> tuple[date, date]:
    """First and last day of ``period``; refused when it is not written as ``frequency`` writes periods."""
    try:
        year = int(period[:4])
        rest = period[4:]
        match frequency:
            case RemittanceFrequency.MONTHLY:
                start, months = date(year, int(rest.removeprefix("-")), 1), 1
                ok = len(rest) == 3
            case RemittanceFrequency.QUARTERLY:
                start, months, ok = date(year, 3 * int(rest.removeprefix("-Q")) - 2, 1), 3, rest[:2] == "-Q"
            case RemittanceFrequency.HALF_YEARLY:
                start, months, ok = date(year, 6 * int(rest.removeprefix("-H")) - 5, 1), 6, rest[:2] == "-H"
            case RemittanceFrequency.YEARLY:
                start, months, ok = date(year, 1, 1), 12, rest == ""
            case _:
                assert_never(frequency)
    except ValueError:
        ok = False
    if not ok or len(period) > 7:
        example = period_of(date(2026, 1, 1), frequency)
        raise DomainError(f"a {frequency.value} remittance period is written like {example}, not {period!r}")
    return start, first_day(shift_month(month_of(start), months)) - timedelta(days=1)


# --- views over accounts' events ---------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class MonthRow:
    """By dues month: what the branch's members owed for ``month`` and what was paid for it."""

    month: str
    expected: Decimal
    paid: Decimal
    outstanding: Decimal
    members_assessed: int
    members_unpaid: int


@dataclass(frozen=True, kw_only=True)
class Collections:
    """By receipt: money ``org_id`` took in from ``start`` to ``end`` inclusive."""

    org_id: str
    start: date
    end: date
    dues: Decimal = ZERO
    extras: Decimal = ZERO
    central_committee: Decimal = ZERO
    #: Part of the above taken for members of other organisations (hosted certificate holders).
    for_other_orgs: Decimal = ZERO
    #: The branch's own members' dues taken by another organisation (their host) — not in ``total``.
    received_elsewhere: Decimal = ZERO
    payments: int = 0

    @property
    def total(self) -> Decimal:
        return self.dues + self.extras


def _attribution(events: Iterable[DuesAccountEvent]) -> tuple[dict[tuple[str, str], tuple[str, Decimal]],
                                                               dict[tuple[str, str], Decimal]]:
    """(member, month) → (owing organisation, assessed amount), and (member, month) → paid for it."""
    owed: dict[tuple[str, str], tuple[str, Decimal]] = {}
    paid: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for e in events:
        if isinstance(e, MonthAssessed):
            owed[(e.member_id, e.month)] = (e.org_id, e.amount)
        elif isinstance(e, DuesContinuedAfterTransfer):
            for m in e.moved_months:
                if (e.member_id, m) in owed:
                    owed[(e.member_id, m)] = (e.to_org_id, owed[(e.member_id, m)][1])
        elif isinstance(e, DuesAccountClosed):  # months after the closing month are owed to nobody
            for m in e.cancelled_months:
                owed.pop((e.member_id, m), None)
        elif isinstance(e, DuesPaid):
            for a in e.allocations:
                paid[(e.member_id, a.month)] += a.amount
    return owed, paid


def expected_vs_paid(events: Iterable[DuesAccountEvent], org_id: str, months: Iterable[str]) -> tuple[MonthRow, ...]:
    owed, paid = _attribution(events)
    by_month: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, (org, _) in owed.items():
        if org == org_id:
            by_month[key[1]].append(key)
    rows = []
    for m in months:
        keys = by_month.get(m, [])
        expected = sum((owed[k][1] for k in keys), ZERO)
        got = sum((min(paid.get(k, ZERO), owed[k][1]) for k in keys), ZERO)
        unpaid = sum(1 for k in keys if paid.get(k, ZERO) < owed[k][1])
        rows.append(MonthRow(month=m, expected=expected, paid=got, outstanding=expected - got,
                             members_assessed=len(keys), members_unpaid=unpaid))
    return tuple(rows)


def collections(events: Iterable[DuesAccountEvent], org_id: str, start: date, end: date) -> Collections:
    c = Collections(org_id=org_id, start=start, end=end)
    for e in events:
        if not isinstance(e, DuesPaid) or not start <= e.paid_on <= end:
            continue
        if e.receiving_org_id != org_id:
            if e.org_id == org_id:
                c = replace(c, received_elsewhere=c.received_elsewhere + e.amount)
            continue
        central = e.extra if e.to_central_committee else ZERO
        other = e.amount if e.org_id != org_id else ZERO
        c = replace(c, dues=c.dues + e.amount - e.extra, extras=c.extras + e.extra, payments=c.payments + 1,
                    central_committee=c.central_committee + central, for_other_orgs=c.for_other_orgs + other)
    return c


@dataclass(frozen=True, kw_only=True)
class YearlyDisclosure:
    """The yearly publication of a branch's dues (B2 2017 practice: collection and use published once a year)."""

    org_id: str
    year: int
    members: int
    expected: Decimal
    paid: Decimal
    outstanding: Decimal
    collected: Collections
    remitted: Decimal
    months: tuple[MonthRow, ...]


def yearly_disclosure(
    account_events: Iterable[DuesAccountEvent], ledger_events: Iterable[DuesRemitted], org_id: str, year: int
) -> YearlyDisclosure:
    events = list(account_events)
    rows = expected_vs_paid(events, org_id, months_from(f"{year}-01", f"{year}-12"))
    owed, _ = _attribution(events)
    members = {member for (member, m), (org, _) in owed.items() if org == org_id and m.startswith(f"{year}-")}
    remitted = sum((r.amount for r in ledger_events if r.org_id == org_id and r.period.startswith(str(year))), ZERO)
    return YearlyDisclosure(
        org_id=org_id, year=year, members=len(members), expected=sum((r.expected for r in rows), ZERO),
        paid=sum((r.paid for r in rows), ZERO), outstanding=sum((r.outstanding for r in rows), ZERO),
        collected=collections(events, org_id, date(year, 1, 1), date(year, 12, 31)), remitted=remitted, months=rows,
    )


# --- a member's statement ----------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class StatementLine:
    """One month of a member's statement: how the amount came about, and who paid it, when and where."""

    month: str
    assessed: bool
    org_id: str
    base_kind: BaseKind
    base: Decimal | None
    bracket: int | None
    bracket_up_to: Decimal | None
    rate: Decimal | None
    policy_version: str
    standard_amount: Decimal
    adjustment: Adjustment
    amount: Decimal
    paid: Decimal
    payments: tuple[PaidPart, ...]


def statement(state: DuesAccount, on: date, policy: DuesPolicy = DEFAULT_DUES_POLICY) -> tuple[StatementLine, ...]:
    """Every owed month up to ``on``'s month, or the closing month of a closed account (and any paid ahead),
    without the months of a gap between a closing and a reopening; unassessed months show what is known now."""
    if not state.exists:
        return ()
    last = max([last_owed(state, month_of(on)), *state.paid.keys()])
    lines = []
    for m in months_from(state.owed_from, last):
        if m not in state.paid and not owed(state, m):
            continue  # a gap's month (closed, then reopened): owed by nobody here
        a = state.assessed.get(m) or assessment(state, m, policy, on)
        lines.append(StatementLine(
            month=m, assessed=m in state.assessed, org_id=a.org_id, base_kind=a.base_kind, base=a.base,
            bracket=a.bracket, bracket_up_to=a.bracket_up_to, rate=a.rate, policy_version=a.policy_version,
            standard_amount=a.standard_amount, adjustment=a.adjustment, amount=amount_for(state, m, policy),
            paid=paid_in(state, m), payments=state.paid.get(m, ()),
        ))
    return tuple(lines)


# --- the ledger stream: remittance upward ------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class BranchLedger:
    org_id: str = ""
    remitted: Mapping[str, DuesRemitted] = field(default_factory=dict)


LEDGER_INITIAL = BranchLedger()


def decide_ledger(
    state: BranchLedger, command: RemitUpward, *, collected: Collections, policy: DuesPolicy = DEFAULT_DUES_POLICY
) -> list[DuesRemitted]:
    """Pass a period's collections upward. ``collected``: ``collections(...)`` of the branch over exactly that
    period (the handler computes it from the accounts' events). A year is remitted at the frequency in
    force on its 1 January, so a scale changing the frequency mid-year applies from the next year.
    """
    match command:
        case RemitUpward():
            cmd = command
            require_org_scope(cmd.actor, cmd.org_id, "pass dues upward")
            year = cmd.period[:4]
            if not (year.isascii() and year.isdigit() and FIRST_DAY.year <= int(year) <= LAST_DAY.year):
                raise DomainError(f"a remittance period starts with its year ({FIRST_DAY.year} to {LAST_DAY.year}), "
                                  f"like 2026-Q1, not {cmd.period!r}")
            # A year is remitted at one frequency: the one in force on its 1 January.
            scale = policy.scale_on(date(int(year), 1, 1))
            start, end = period_bounds(cmd.period, scale.remittance_frequency)
            if cmd.period in state.remitted:
                done = state.remitted[cmd.period]
                raise StateConflict(f"{cmd.period} was already passed upward on {done.remitted_on}")
            if not end < cmd.remitted_on <= cmd.today:
                raise DomainError(f"{cmd.period} ends on {end}; pass its dues upward after that, on a day not in the "
                                  "future")
            if (collected.org_id, collected.start, collected.end) != (cmd.org_id, start, end):
                raise TypeError("RemitUpward needs collected= computed for the same organisation and period")
            if cmd.amount != collected.total:
                raise DomainError(f"{cmd.org_id} collected {collected.total} in {cmd.period} (dues {collected.dues}, "
                                  f"extras {collected.extras}); pass that amount upward, not {cmd.amount}")
            return [DuesRemitted(
                org_id=cmd.org_id, period=cmd.period, frequency=scale.remittance_frequency, amount=cmd.amount,
                central_committee_amount=collected.central_committee, to_org_id=cmd.to_org_id,
                remitted_on=cmd.remitted_on, actor=cmd.actor.label, policy_version=scale.version,
            )]
        case _:
            assert_never(command)


def evolve_ledger(state: BranchLedger, event: DuesRemitted) -> BranchLedger:
    return replace(state, org_id=event.org_id, remitted={**state.remitted, event.period: event})
