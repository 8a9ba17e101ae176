"""A member's standing: suspension (停止党籍), removal (自行脱党/除名) in two steps, restoration, death.

Part of the one member stream (see member_state.Member); its handlers call ``decide`` here and members.evolve folds
here. Every step the higher committee approves is taken by the township or county committee and
records the actor and the approving organisation.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import assert_never

from services.membership.contract.commands.members import (
    ApproveRemoval,
    RecordDeath,
    RejectRemoval,
    RemoveAsLapsed,
    RestoreMembership,
    SuspendMembership,
)
from services.membership.contract.events.common import MemberStatus
from services.membership.contract.events.members import (
    MemberDied,
    MembershipRemoved,
    MembershipRestored,
    MembershipSuspended,
    RemovalDecided,
    RemovalGround,
    RemovalRejected,
)
from services.membership.domain.member_state import (
    ACTIVE,
    Member,
    RemovalDecision,
    committee,
    existing,
    in_county,
    require_standing,
)
from services.membership.domain.rules import require_org_scope
from services.membership.policy.mobility import MobilityPolicy, mobility_policy_on
from services.pure.dates import add_months, check_date, effective_on, latest
from services.pure.due import DueItem
from services.pure.errors import DomainError, StateConflict
from services.pure.personal_text import not_personal, reason_text
from services.pure.text import require_text

StandingCommand = (
    SuspendMembership | RemoveAsLapsed | ApproveRemoval | RejectRemoval | RestoreMembership | RecordDeath
)
StandingEvent = (
    MembershipSuspended | RemovalDecided | RemovalRejected | MembershipRemoved | MembershipRestored | MemberDied
)


def decide(
    state: Member, command: StandingCommand, *, policy: MobilityPolicy | None = None,
    months_without_dues_or_life: int | None = None,
) -> list[StandingEvent]:
    """``months_without_dues_or_life``: consecutive months without organisational life or dues (from the
    dues and meetings records), needed only for RemoveAsLapsed on that ground. ``policy``: the one in force on the
    command's day unless given."""
    policy = policy or mobility_policy_on(effective_on(command))
    match command:
        case SuspendMembership():
            return [_suspend(state, command, policy)]
        case RemoveAsLapsed():
            return [_decide_removal(state, command, policy, months_without_dues_or_life)]
        case ApproveRemoval():
            return [_approve_removal(state, command)]
        case RejectRemoval():
            return [_reject_removal(state, command)]
        case RestoreMembership():
            return [_restore(state, command)]
        case RecordDeath():
            return [_record_death(state, command)]
        case _:
            assert_never(command)


def evolve(state: Member, event: StandingEvent) -> Member:
    match event:
        case MembershipSuspended():
            return replace(state, status=MemberStatus.SUSPENDED, suspended_on=event.suspended_on,
                           status_before_suspension=event.previous_status)
        case RemovalDecided():
            decision = RemovalDecision(decided_on=event.decided_on, ground=event.ground,
                                       deciding_org_id=event.deciding_org_id)
            return replace(state, removal_decision=decision)
        case RemovalRejected():
            return replace(state, removal_decision=None)
        case MembershipRemoved():
            return replace(state, status=MemberStatus.REMOVED, removal_decision=None, transfer=None)
        case MembershipRestored():
            return replace(state, status=event.status, suspended_on=None, status_before_suspension=None,
                           last_contact_on=latest(state.last_contact_on, event.restored_on))
        case MemberDied():
            return replace(state, deceased_on=event.died_on, transfer=None, removal_decision=None)
        case _:
            assert_never(event)


def due_items(state: Member, on: date, policy: MobilityPolicy | None = None) -> list[DueItem]:
    """Contact reviews (B4, D4): ``suspension_review`` 6 months after the last contact, and
    ``removal_review`` 2 years after the suspension (or, if none was approved, after the suspension
    review) with no contact since. Listed from the due date, overdue the day after. With
    ``contact_reviews_only_when_away`` only members away are reviewed; a suspended member always is."""
    policy = policy or mobility_policy_on(on)
    if not state.in_county or state.deceased_on is not None or state.last_contact_on is None:
        return []
    last = state.last_contact_on
    suspension_due = add_months(last, policy.contact_loss_suspension_months)
    items: list[tuple[str, date]] = []
    if state.status in ACTIVE and (state.away is not None or not policy.contact_reviews_only_when_away):
        items.append(("suspension_review", suspension_due))
        items.append(("removal_review", add_months(suspension_due, policy.contact_loss_removal_months)))
    elif state.status is MemberStatus.SUSPENDED and state.suspended_on and last < state.suspended_on:
        items.append(("removal_review", add_months(state.suspended_on, policy.contact_loss_removal_months)))
    return [DueItem(kind=kind, due_on=due, subject_id=state.member_id, overdue=on > due)
            for kind, due in items if on >= due]


def _suspend(state: Member, cmd: SuspendMembership, policy: MobilityPolicy) -> MembershipSuspended:
    existing(state, cmd.member_id)
    approving_org = committee(cmd.actor, "approve suspensions (停止党籍)")
    in_county(state, "decide the member's standing")
    require_standing(state, "be suspended", *ACTIVE)
    assert state.status is not None
    last = state.last_contact_on
    if last is None:
        raise DomainError("no contact with the member is recorded; record the last known contact first")
    check_date(cmd.suspended_on, cmd.today, "suspended_on", not_before=last, earlier="the last contact")
    earliest = add_months(last, policy.contact_loss_suspension_months)
    if cmd.suspended_on < earliest:
        raise DomainError(
            f"a member is suspended only after {policy.contact_loss_suspension_months} months without contact; the "
            f"last contact was on {last}, so the earliest suspension date is {earliest}"
        )
    return MembershipSuspended(
        member_id=state.member_id, suspended_on=cmd.suspended_on, last_contact_on=last, previous_status=state.status,
        reason=reason_text(cmd.reason, _DECISION), actor=cmd.actor.label, approving_org_id=approving_org,
        policy_version=policy.version,
    )


def _decide_removal(
    state: Member, cmd: RemoveAsLapsed, policy: MobilityPolicy, months_without_dues_or_life: int | None
) -> RemovalDecided:
    existing(state, cmd.member_id)
    # The branch meeting decides; its secretary (or the committee above) records the decision.
    require_org_scope(cmd.actor, state.formal_org_id, "record removal decisions")
    in_county(state, "decide the member's standing")
    require_standing(state, "be removed", MemberStatus.PROBATIONARY, MemberStatus.FULL, MemberStatus.SUSPENDED)
    if state.removal_decision is not None:
        raise StateConflict(f"a removal decided on {state.removal_decision.decided_on} awaits the higher "
                            "committee's approval")
    check_date(cmd.decided_on, cmd.today, "decided_on")
    match cmd.ground:
        case RemovalGround.LOST_CONTACT:
            _lost_contact_long_enough(state, cmd.decided_on, policy)
        case RemovalGround.LATE_TRANSFER:
            transfer = state.transfer
            if transfer is None or transfer.first_issued_on is None:
                raise DomainError("no transfer letter is outstanding; late transfer is not a ground here")
            lapse = add_months(transfer.first_issued_on, policy.lapse_months)
            # B3: *more than* 6 months not transferred, without a valid reason.
            if cmd.decided_on <= lapse:
                raise DomainError(
                    f"the letter was issued on {transfer.first_issued_on}; a transfer is late only after more than "
                    f"{policy.lapse_months} months, from {lapse + timedelta(days=1)}"
                )
        case RemovalGround.NO_DUES_OR_ORGANISATIONAL_LIFE:
            if months_without_dues_or_life is None:
                raise TypeError("RemoveAsLapsed on this ground needs the context months_without_dues_or_life=")
            if months_without_dues_or_life < policy.lapse_months:
                raise DomainError(
                    f"{months_without_dues_or_life} months without organisational life or dues; the ground needs "
                    f"{policy.lapse_months} consecutive months"
                )
        case RemovalGround.STRUCK_OFF:
            pass
        case _:
            assert_never(cmd.ground)
    return RemovalDecided(
        member_id=state.member_id, decided_on=cmd.decided_on, ground=cmd.ground,
        reason=reason_text(cmd.reason, _DECISION),
        minutes_ref=not_personal(require_text(cmd.minutes_ref, "minutes_ref"), "minutes_ref", instead=_MINUTES),
        actor=cmd.actor.label,
        deciding_org_id=state.formal_org_id, policy_version=policy.version,
    )


def _lost_contact_long_enough(state: Member, decided_on: date, policy: MobilityPolicy) -> None:
    if state.status is not MemberStatus.SUSPENDED or state.suspended_on is None:
        raise DomainError("removal for lost contact follows a suspension; suspend the member first")
    if state.last_contact_on is not None and state.last_contact_on >= state.suspended_on:
        raise DomainError(f"contact was regained on {state.last_contact_on}; restore the member instead")
    earliest = add_months(state.suspended_on, policy.contact_loss_removal_months)
    if decided_on < earliest:
        raise DomainError(
            f"a suspended member is removed for lost contact only {policy.contact_loss_removal_months} months after "
            f"the suspension of {state.suspended_on}, from {earliest}"
        )


def _pending(state: Member) -> RemovalDecision:
    if state.removal_decision is None:
        raise StateConflict("no branch decision to remove this member awaits approval; the branch meeting decides "
                            "first (RemoveAsLapsed)")
    return state.removal_decision


def _approve_removal(state: Member, cmd: ApproveRemoval) -> MembershipRemoved:
    existing(state, cmd.member_id)
    approving_org = committee(cmd.actor, "approve removals")
    decision = _pending(state)
    check_date(cmd.approved_on, cmd.today, "approved_on", not_before=decision.decided_on,
               earlier="the branch decision")
    return MembershipRemoved(
        member_id=state.member_id, removed_on=cmd.approved_on, ground=decision.ground, decided_on=decision.decided_on,
        deciding_org_id=decision.deciding_org_id, actor=cmd.actor.label, approving_org_id=approving_org,
        transfer_closed=state.transfer.transfer_id if state.transfer else None,
    )


def _reject_removal(state: Member, cmd: RejectRemoval) -> RemovalRejected:
    existing(state, cmd.member_id)
    approving_org = committee(cmd.actor, "reject removals")
    decision = _pending(state)
    check_date(cmd.rejected_on, cmd.today, "rejected_on", not_before=decision.decided_on,
               earlier="the branch decision")
    return RemovalRejected(
        member_id=state.member_id, rejected_on=cmd.rejected_on, decided_on=decision.decided_on,
        reason=reason_text(cmd.reason, _DECISION), actor=cmd.actor.label, approving_org_id=approving_org,
    )


def _restore(state: Member, cmd: RestoreMembership) -> MembershipRestored:
    existing(state, cmd.member_id)
    approving_org = committee(cmd.actor, "restore members")
    if state.status is MemberStatus.REMOVED:
        raise DomainError("a removed member is not restored here; they rejoin through development (B6)")
    if state.status is not MemberStatus.SUSPENDED or state.suspended_on is None:
        raise StateConflict("only a suspended member is restored")
    if state.last_contact_on is None or state.last_contact_on < state.suspended_on:
        raise DomainError(f"no contact is recorded since the suspension of {state.suspended_on}; record the "
                          "renewed contact first")
    check_date(cmd.restored_on, cmd.today, "restored_on", not_before=state.last_contact_on,
               earlier="the renewed contact")
    return MembershipRestored(
        member_id=state.member_id, restored_on=cmd.restored_on,
        status=state.status_before_suspension or MemberStatus.FULL, reason=reason_text(cmd.reason, _DECISION),
        actor=cmd.actor.label, approving_org_id=approving_org,
    )


_DECISION = "the reason for the decision"
_MINUTES = "where the minutes of the branch meeting are: the minute book and page, or the file's reference"


def _record_death(state: Member, cmd: RecordDeath) -> MemberDied:
    existing(state, cmd.member_id)
    require_org_scope(cmd.actor, state.formal_org_id, "record deaths")
    in_county(state, "record the member's death")
    check_date(cmd.died_on, cmd.today, "died_on")
    return MemberDied(
        member_id=state.member_id, died_on=cmd.died_on, actor=cmd.actor.label,
        recording_org_id=cmd.actor.org_id or state.formal_org_id,
        transfer_closed=state.transfer.transfer_id if state.transfer else None,
    )
