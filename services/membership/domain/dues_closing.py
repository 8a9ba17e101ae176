"""When membership ends, the dues account closes: owed up to and including the month it ended, nothing after.

Three facts of the member's record end their membership here: ``MemberDied`` (the death date's month),
``MembershipRemoved`` (the removal date's month) and ``TransferReceived`` by an organisation outside the county
(the month the transfer completed: from then on that organisation keeps their dues, B3). A removed member is
never restored (``standing._restore`` refuses it: they rejoin through development) and a death is final, so
nothing reopens a closed account. What the account owed up to the closing month stays owed and payable; months
after it are never assessed, counted or reminded of.
"""

from __future__ import annotations

from datetime import date
from typing import assert_never

from services.membership.contract.events.dues import ClosingReason, DuesAccountClosed
from services.membership.contract.events.members import MemberDied, MembershipRemoved
from services.membership.contract.events.transfers import TransferReceived
from services.membership.domain.dues_state import DuesAccount
from services.pure.dates import month_of

#: The facts of a member's record that end their membership here.
MembershipEnded = MemberDied | MembershipRemoved | TransferReceived


def ending(event: MembershipEnded) -> tuple[ClosingReason, date] | None:
    """Why and on which day ``event`` ended the membership here; None: it did not (a transfer within the county)."""
    match event:
        case MemberDied():
            return ClosingReason.DIED, event.died_on
        case MembershipRemoved():
            return ClosingReason.REMOVED, event.removed_on
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
