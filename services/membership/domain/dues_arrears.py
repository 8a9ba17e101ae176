"""Arrears of one account: the ageing view, the month a transfer letter states, and the dues deadlines.

A month counts as unpaid once it is over (the dues of a month are paid within it) and nothing
settled it. Six consecutive unpaid months without a recorded valid reason put a lapse review on the
member's standing (B2 自行脱党, D4): this only raises a due item; the branch meeting and the higher
organisation decide, and nothing here removes anyone.

A closed account (the member died, was removed, or transferred out of the county: ``dues_closing``) owes nothing
after its closing month: the ageing counts months up to it only, so arrears owed before stay visible, and it
raises no due item at all — a reminder or a lapse review calls on a member to pay or reviews their standing, and
there is no membership left here to call on; the arrears are settled (or written off) by the branch.

A reopened account (the member came back to the county: ``DuesAccountReopened``) owes nothing in its gap, the
months between the closing and the reopening: they are never unpaid, and a run of unpaid months never spans the
gap (the months on either side are not consecutive owed months), so neither a reminder nor a lapse review counts
months from before the member left together with months after they came back. The arrears from before stay owed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.membership.domain.dues_state import (
    ZERO,
    DuesAccount,
    amount_for,
    first_unsettled,
    last_owed,
    owed_months,
    settled,
    shortfall,
    within,
)
from services.membership.policy.dues import DEFAULT_DUES_POLICY, DuesPolicy
from services.pure.dates import first_day, month_of, shift_month
from services.pure.due import DueItem

REMINDER = "dues_reminder"
LAPSE_REVIEW = "lapse_review"


@dataclass(frozen=True, kw_only=True)
class Ageing:
    """Arrears of one member on a day: which months are unpaid and for how long."""

    member_id: str
    org_id: str
    on: date
    unpaid_months: tuple[str, ...]
    #: Unpaid months in a row up to the last month that is over.
    consecutive_unpaid: int
    #: The same run, counting only months without a recorded valid reason (what leads to a lapse review).
    consecutive_without_reason: int
    oldest_unpaid: str | None
    #: Unpaid months' amounts plus increases still owed on prepaid months.
    amount_owed: Decimal


def dues_paid_up_to(state: DuesAccount, on: date, policy: DuesPolicy = DEFAULT_DUES_POLICY) -> str:
    """The month a transfer letter states (B3): the last of the consecutive settled months from the start.

    When nothing is settled it is the month before the first owed month, so the receiving organisation
    continuing "from the next month" always starts at the first month still owed.
    """
    return shift_month(first_unsettled(state, policy, limit=month_of(on)), -1)


def ageing(state: DuesAccount, on: date, policy: DuesPolicy = DEFAULT_DUES_POLICY) -> Ageing:
    last_over = last_owed(state, shift_month(month_of(on), -1))
    owed = owed_months(state, last_over) if state.exists else []
    unpaid = [m for m in owed if not settled(state, m, policy)]
    run = _trailing_run(unpaid, last_over)
    without_reason = _trailing_run([m for m in run if not _has_reason(state, m)], last_over)
    owed_amount = sum((amount_for(state, m, policy) for m in unpaid), ZERO)
    owed_amount += sum((shortfall(state, m) for m in state.paid), ZERO)
    return Ageing(
        member_id=state.member_id, org_id=state.org_id, on=on, unpaid_months=tuple(unpaid),
        consecutive_unpaid=len(run), consecutive_without_reason=len(without_reason),
        oldest_unpaid=unpaid[0] if unpaid else None, amount_owed=owed_amount,
    )


def due_items(state: DuesAccount, on: date, policy: DuesPolicy = DEFAULT_DUES_POLICY) -> list[DueItem]:
    """``dues_reminder`` once a run of unpaid months reaches each of the policy's reminder months, and
    ``lapse_review`` once it reaches the lapse months without a valid reason (D4). Each is listed from
    its due day (the first day after the run's n-th month) while the run lasts; a payment ends the run
    and a later run gives new due days. Neither is ever "overdue": they call for action, not a deadline.
    A closed account has none (the module's docstring says why).
    """
    if not state.exists or state.closed is not None:
        return []
    scale = policy.scale_on(on)
    last_over = shift_month(month_of(on), -1)
    owed = owed_months(state, last_over)
    run = _trailing_run([m for m in owed if not settled(state, m, policy)], last_over)
    lapse_run = _trailing_run([m for m in run if not _has_reason(state, m)], last_over)
    items = [
        DueItem(kind=REMINDER, due_on=first_day(shift_month(run[0], n)), subject_id=state.member_id)
        for n in sorted(set(scale.reminder_months)) if len(run) >= n
    ]
    if len(lapse_run) >= scale.lapse_months:
        due = first_day(shift_month(lapse_run[0], scale.lapse_months))
        items.append(DueItem(kind=LAPSE_REVIEW, due_on=due, subject_id=state.member_id))
    return items


def _trailing_run(months: list[str], last: str) -> list[str]:
    """The consecutive months of ``months`` (ascending) that end at ``last``."""
    run: list[str] = []
    expected = last
    for m in reversed(months):
        if m != expected:
            break
        run.append(m)
        expected = shift_month(m, -1)
    return run[::-1]


def _has_reason(state: DuesAccount, m: str) -> bool:
    return any(within(m, r.from_month, r.until_month) for r in state.valid_reasons)
