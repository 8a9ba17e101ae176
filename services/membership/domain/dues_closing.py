"""When membership ends, the dues account closes: owed up to and including the month it ended, nothing after;
when a member who left the county comes back, it reopens.

Three facts of the member's record end their membership here: ``MemberDied`` (the death date's month),
``MembershipRemoved`` (the removal date's month) and ``TransferReceived`` by an organisation outside the county
(the month the transfer completed: from then on that organisation keeps their dues, B3). What the account owed up
to the closing month stays owed and payable; months after it are never assessed, counted or reminded of.

Only a transfer out is undone: a member who comes back to the county (回归) with a transfer in is the same member
on the same record, and ``ContinueAfterTransfer`` reopens their account (:func:`reopen`,
``DuesAccountReopened``), leaving the months between as a gap owed by nobody here. A death is final. A removed
member is never restored (``standing._restore`` refuses it): they rejoin through development, whose application
always starts a new record with a new id (``new_id`` of its route), so a new dues account — never this one.
After a reopening the account can close again, on the next ending.
"""

from __future__ import annotations

from datetime import date
from typing import assert_never

from services.membership.contract.commands.dues import ContinueAfterTransfer
from services.membership.contract.events.development import ProbationCancelled
from services.membership.contract.events.dues import ClosingReason, DuesAccountClosed, DuesAccountReopened
from services.membership.contract.events.members import MemberDied, MembershipRemoved
from services.membership.contract.events.transfers import TransferReceived
from services.membership.domain.dues_scale import check_income, scale_in
from services.membership.domain.dues_state import Closing, DuesAccount, income_on
from services.membership.policy.dues import DuesPolicy
from services.pure.dates import month_of, shift_month
from services.pure.errors import AlreadyExists, DomainError, StateConflict

#: The facts of a member's record that end their membership here.
MembershipEnded = MemberDied | MembershipRemoved | ProbationCancelled | TransferReceived


def ending(event: MembershipEnded) -> tuple[ClosingReason, date] | None:
    """Why and on which day ``event`` ended the membership here; None: it did not (a transfer within the county)."""
    match event:
        case MemberDied():
            return ClosingReason.DIED, event.died_on
        case MembershipRemoved():
            return ClosingReason.REMOVED, event.removed_on
        case ProbationCancelled():
            # A probationary member's qualification cancelled: their status becomes removed, as after a removal.
            return ClosingReason.REMOVED, event.approved_on
        case TransferReceived():
            return (ClosingReason.TRANSFERRED_OUT, event.received_on) if event.to_external is not None else None
        case _:
            assert_never(event)


def close_on_ending(
    state: DuesAccount, event: MembershipEnded, *, cause_id: str, actor: str
) -> list[DuesAccountClosed]:
    """Close the account of a member whose membership ``event`` ended: the last owed month is the month it ended.

    Nothing to close when there is no account here, when the event did not end the membership (a transfer received
    within the county moves the account instead, ``dues_account.follow_reception``), or when the account is closed
    already (a repeated reaction, or a second ending: the first one decided)."""
    ended = ending(event)
    if not state.exists or state.closed is not None or ended is None:
        return []
    reason, on = ended
    last = month_of(on)
    return [DuesAccountClosed(
        member_id=state.member_id, org_id=state.org_id, last_month=last, reason=reason, closed_on=on,
        cancelled_months=tuple(sorted(m for m in state.assessed if m > last)), cause_id=cause_id, actor=actor,
    )]


def reopen(
    state: DuesAccount, closed: Closing, cmd: ContinueAfterTransfer, policy: DuesPolicy, *, paid_up_to: str,
    letter: str
) -> DuesAccountReopened:
    """回归: a member whose account closed when an organisation outside the county received them came back with a
    transfer in (the same member, the same record): the receiving organisation keeps the account again.

    It is owed again from the month after the letter's ``paid_up_to`` (what the organisation outside collected),
    but never before the month after the closing month (months up to it were owed here already: no month is owed
    twice). The months between are a gap, never owed here; the months up to the closing stay as they were. The
    category (and base) given apply from the reopening month; none given: the last one known here. A death is
    final and a removed member is not restored (they rejoin through development, as a new person), so only a
    transfer out reopens.

    A new event, not a second ``DuesContinuedAfterTransfer``: an auditor replaying the stream reads "closed in X,
    reopened from Y on letter Z" with the gap's both ends on the facts themselves, and a consumer that does not know
    reopening ignores it instead of taking it for a move between two organisations here."""
    if closed.reason is not ClosingReason.TRANSFERRED_OUT:
        why = "a death is final" if closed.reason is ClosingReason.DIED else \
            "a removed member is not restored: they rejoin through development, with a new record"
        raise StateConflict(f"the dues account of {state.member_id} closed in {closed.last_month} "
                            f"({closed.reason.value}); it is not reopened: {why}",
                            closed_in=closed.last_month, reason=closed.reason.value)
    if letter in state.letter_numbers:
        raise AlreadyExists(f"letter {letter} was already used on the dues account of {state.member_id}; the return "
                            "is received with its own letter")
    if cmd.received_on < closed.closed_on:
        raise DomainError(f"received_on {cmd.received_on} is before the account closed ({closed.closed_on}); the "
                          "return is received after the transfer out")
    reopened_from = max(shift_month(paid_up_to, 1), shift_month(closed.last_month, 1))
    if cmd.category is not None:
        category, base, flat = cmd.category, cmd.base, cmd.flat_amount
    else:
        last = income_on(state, closed.last_month)
        category = last.category
        base = cmd.base if cmd.base is not None else last.base
        flat = cmd.flat_amount if cmd.flat_amount is not None else last.flat_amount
    base, flat = check_income(scale_in(policy, reopened_from), category, base, flat)
    return DuesAccountReopened(
        member_id=state.member_id, org_id=cmd.to_org_id, from_org_id=state.org_id, closed_in=closed.last_month,
        closed_reason=closed.reason, letter_number=letter, paid_up_to=paid_up_to, reopened_from=reopened_from,
        category=category, base=base, flat_amount=flat, received_on=cmd.received_on, actor=cmd.actor.label,
    )
