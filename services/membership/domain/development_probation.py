"""Development steps 20–24 and closing a case: oath, conversion application, vote and approval; withdrawal."""

from __future__ import annotations

from datetime import timedelta
from typing import assert_never

from services.membership.contract.commands.development import (
    ApplyForConversion,
    ApproveConversion,
    CancelCase,
    HoldConversionVote,
    TakeOath,
)
from services.membership.contract.events.development import (
    ConversionApplied,
    ConversionOutcome,
    ConversionVoteHeld,
    Converted,
    DevelopmentCaseCancelled,
    OathTaken,
    ProbationCancelled,
    ProbationExtended,
)
from services.membership.domain.development_state import (
    DevelopmentCase,
    Stage,
    count_ballot,
    existing,
    require_approval_authority,
    require_case_scope,
    require_self_or_scope,
    require_stage,
)
from services.membership.policy.development import DevelopmentPolicy
from services.pure.dates import add_months, check_date
from services.pure.errors import DomainError, StateConflict
from services.pure.identity import Role
from services.pure.personal_text import in_words, not_personal


def take_oath(state: DevelopmentCase, cmd: TakeOath) -> OathTaken:
    existing(state, cmd.person_id)
    require_case_scope(cmd.actor, state, "record oaths")
    require_stage(state, "the oath", Stage.PROBATIONARY)
    if state.oath_on is not None:
        raise StateConflict(f"the oath was already taken on {state.oath_on}")
    check_date(cmd.sworn_on, cmd.today, "sworn_on", not_before=state.admitted_on, earlier="the approval")
    return OathTaken(person_id=state.person_id, sworn_on=cmd.sworn_on)


def apply_for_conversion(
    state: DevelopmentCase, cmd: ApplyForConversion, policy: DevelopmentPolicy
) -> ConversionApplied:
    existing(state, cmd.person_id)
    require_self_or_scope(cmd.actor, state.person_id, state.org_id, "apply for conversion")
    require_stage(state, "a conversion application", Stage.PROBATIONARY)
    if state.oath_on is None:
        raise DomainError("record the oath first (step 20); the member applies for conversion after it")
    if state.conversion_applied_on is not None:
        raise StateConflict(f"the member already applied for conversion on {state.conversion_applied_on}")
    assert state.probation_end is not None
    check_date(cmd.applied_on, cmd.today, "applied_on", not_before=state.oath_on, earlier="the oath")
    earliest = state.probation_end - timedelta(days=policy.conversion_application_days_before_end)
    if cmd.applied_on < earliest:
        raise DomainError(f"probation ends on {state.probation_end}; the member applies for conversion from {earliest}")
    return ConversionApplied(
        person_id=state.person_id, applied_on=cmd.applied_on, probation_end=state.probation_end,
        meeting_due_on=add_months(cmd.applied_on, policy.conversion_meeting_months), policy_version=policy.version,
    )


def conversion_vote(
    state: DevelopmentCase, cmd: HoldConversionVote, policy: DevelopmentPolicy, entitled_full_members: int,
    org_is_temporary: bool,
) -> ConversionVoteHeld:
    existing(state, cmd.person_id)
    require_case_scope(cmd.actor, state, "record conversion votes")
    require_stage(state, "a conversion vote", Stage.PROBATIONARY)
    if org_is_temporary:
        raise DomainError(
            f"{state.org_id} is a temporary branch and cannot admit members (B1), nor convert them; "
            "the member's formal branch votes"
        )
    applied = state.conversion_applied_on
    if applied is None:
        raise DomainError("the member applies for conversion in writing before the branch meets (step 22)")
    if state.conversion_vote_on is not None:
        raise StateConflict(f"the conversion vote already passed on {state.conversion_vote_on}; it awaits approval")
    assert state.probation_end is not None
    after = max(d for d in (applied, state.probation_end, state.last_conversion_vote_on) if d is not None)
    check_date(cmd.held_on, cmd.today, "held_on", not_before=after, earlier="the application or the end of probation")
    if cmd.held_on == state.last_conversion_vote_on:
        raise StateConflict(f"a vote was already held on {cmd.held_on}; a new vote is a new meeting")
    _check_resolution(state, cmd.resolution, cmd.extension_months, policy)
    passed = count_ballot(
        entitled=entitled_full_members, present=cmd.present, yes=cmd.yes, no=cmd.no, abstain=cmd.abstain,
        written_opinions=cmd.written_opinions, candidates=cmd.candidates_on_ballot,
    )
    due = add_months(applied, policy.conversion_meeting_months)
    return ConversionVoteHeld(
        person_id=state.person_id, org_id=state.org_id, held_on=cmd.held_on, resolution=cmd.resolution,
        extension_months=cmd.extension_months, entitled=entitled_full_members, present=cmd.present,
        written_opinions=cmd.written_opinions, yes=cmd.yes, no=cmd.no, abstain=cmd.abstain, passed=passed,
        meeting_due_on=due, late=cmd.held_on > due, actor=cmd.actor.label, policy_version=policy.version,
    )


def approve_conversion(
    state: DevelopmentCase, cmd: ApproveConversion, policy: DevelopmentPolicy, approver_has_authority: bool | None
) -> Converted | ProbationExtended | ProbationCancelled:
    existing(state, cmd.person_id)
    approving_org = require_approval_authority(cmd.actor, approver_has_authority, "approve conversions")
    require_stage(state, "approving a conversion", Stage.PROBATIONARY)
    vote = state.conversion_vote_on
    if vote is None:
        raise StateConflict("no conversion vote has passed; the branch general meeting votes before approval")
    if (cmd.outcome, cmd.extension_months) != (state.conversion_resolution, state.conversion_extension_months):
        months = f" by {state.conversion_extension_months} months" if state.conversion_extension_months else ""
        raise DomainError(
            f"the branch resolved to {state.conversion_resolution}{months}; approve that resolution, "
            "or send it back for a new vote"
        )
    _check_resolution(state, cmd.outcome, cmd.extension_months, policy)
    check_date(cmd.approved_on, cmd.today, "approved_on", not_before=vote, earlier="the conversion vote")
    assert state.probation_end is not None
    late = cmd.approved_on > add_months(vote, policy.conversion_approval_months)
    person, org, actor = state.person_id, state.org_id, cmd.actor.label
    match cmd.outcome:
        case ConversionOutcome.CONVERT:
            # B6: Party age counts from the end of probation, not from the approval.
            return Converted(
                person_id=person, org_id=org, vote_on=vote, approved_on=cmd.approved_on, late=late,
                party_age_start=state.probation_end, actor=actor, approving_org_id=approving_org,
                policy_version=policy.version,
            )
        case ConversionOutcome.EXTEND:
            assert cmd.extension_months is not None
            return ProbationExtended(
                person_id=person, org_id=org, vote_on=vote, approved_on=cmd.approved_on, late=late,
                months=cmd.extension_months, previous_end=state.probation_end,
                new_end=add_months(state.probation_end, cmd.extension_months), actor=actor,
                approving_org_id=approving_org, policy_version=policy.version,
            )
        case ConversionOutcome.CANCEL:
            return ProbationCancelled(
                person_id=person, org_id=org, vote_on=vote, approved_on=cmd.approved_on, late=late, actor=actor,
                approving_org_id=approving_org, policy_version=policy.version,
            )
        case _:
            assert_never(cmd.outcome)


def cancel(state: DevelopmentCase, cmd: CancelCase) -> DevelopmentCaseCancelled:
    existing(state, cmd.person_id)
    require_self_or_scope(cmd.actor, state.person_id, state.org_id, "cancel a development case")
    if state.stage is Stage.PROBATIONARY:
        raise StateConflict(
            "a probationary member's qualification is cancelled by a conversion vote (resolution cancel) "
            "and the higher committee's approval, not by closing the case"
        )
    require_stage(state, "cancelling a case", Stage.APPLICANT, Stage.ACTIVIST, Stage.DEVELOPMENT_TARGET)
    if not cmd.reason.strip():
        raise DomainError("reason must say why the case is closed")
    not_personal(cmd.reason, "reason", instead=in_words("why the case is closed"))
    check_date(cmd.cancelled_on, cmd.today, "cancelled_on", not_before=state.last_step_on, earlier="the last step")
    return DevelopmentCaseCancelled(
        person_id=state.person_id, org_id=state.org_id, cancelled_on=cmd.cancelled_on, reason=cmd.reason.strip(),
        withdrawn=cmd.actor.role is Role.MEMBER, actor=cmd.actor.label,
    )


def _check_resolution(
    state: DevelopmentCase, outcome: ConversionOutcome, months: int | None, policy: DevelopmentPolicy
) -> None:
    if outcome is not ConversionOutcome.EXTEND:
        if months is not None:
            raise DomainError(f"extension_months belongs to an extension only, not to {outcome.value}")
        return
    if state.extensions >= policy.max_extensions:
        raise DomainError(
            f"probation is extended at most {policy.max_extensions} time(s) and was already extended; "
            "resolve to convert or to cancel"
        )
    low, high = policy.min_extension_months, policy.max_extension_months
    if months is None or not low <= months <= high:
        raise DomainError(f"an extension lasts {low} to {high} months; {months} was given")
