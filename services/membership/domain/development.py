"""Member development case aggregate (发展党员, B6): one stream per person, applicant → full member.

The stream id is the person's id, which becomes their member id on admission. The steps live in
``development_cultivation`` (1–8), ``development_admission`` (9–17) and ``development_probation``
(20–24); this module dispatches commands, folds events and lists the deadlines of a case.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import replace
from datetime import date, timedelta
from typing import assert_never

from services.membership.contract.commands.development import (
    ApplyForConversion,
    ApproveAdmission,
    ApproveConversion,
    AssignCultivationContacts,
    AssignIntroducers,
    CancelCase,
    CompletePoliticalReview,
    DesignateActivist,
    DesignateDevelopmentTarget,
    DevelopmentCommand,
    HoldAdmissionVote,
    HoldConversionVote,
    InterviewApplicant,
    PreReview,
    RecordAssessment,
    RecordTraining,
    SubmitApplication,
    TakeOath,
    TransferActivistFile,
)
from services.membership.contract.events.development import (
    ActivistAssessed,
    ActivistDesignated,
    ActivistFileTransferred,
    AdmissionVoteHeld,
    ApplicantInterviewed,
    ApplicationSubmitted,
    ConversionApplied,
    ConversionVoteHeld,
    Converted,
    CultivationContactsAssigned,
    DevelopmentCaseCancelled,
    DevelopmentEvent,
    DevelopmentTargetDesignated,
    DevelopmentTrainingRecorded,
    IntroducersAssigned,
    OathTaken,
    PoliticalReviewCompleted,
    PreReviewed,
    ProbationaryAdmitted,
    ProbationCancelled,
    ProbationExtended,
)
from services.membership.domain import development_admission as admission
from services.membership.domain import development_cultivation as cultivation
from services.membership.domain import development_probation as probation
from services.membership.domain.development_state import (
    INITIAL,
    DevelopmentCase,
    Stage,
)
from services.membership.domain.personal import Protected
from services.membership.policy.development import DevelopmentPolicy, development_policy_on
from services.pure.dates import add_months, effective_on
from services.pure.due import DueItem
from services.pure.text import needed

__all__ = ["INITIAL", "DevelopmentCase", "DueItem", "Stage", "decide", "due_items", "evolve"]


def decide(
    state: DevelopmentCase,
    command: DevelopmentCommand,
    *,
    policy: DevelopmentPolicy | None = None,
    full_member_ids: Set[str] | None = None,
    approver_has_authority: bool | None = None,
    entitled_full_members: int | None = None,
    org_is_temporary: bool | None = None,
    personal: Protected | None = None,
) -> list[DevelopmentEvent]:
    """Decide one command; facts from other aggregates come in as context.

    - ``full_member_ids``: full members of the case's organisation (contacts, introducers);
    - ``approver_has_authority``: the acting committee holds approval authority over the case
      (pre-review, approvals);
    - ``entitled_full_members``: voting full members of the branch on the meeting day (votes);
    - ``org_is_temporary``: the case's organisation is a temporary branch (votes);
    - ``personal``: the applicant's national ID number and contact, sealed by the handler (application).

    ``policy``: the one in force on the command's day unless given.
    """
    policy = policy or development_policy_on(effective_on(command))
    name = type(command).__name__
    match command:
        case SubmitApplication():
            return [cultivation.submit(state, command, policy, needed(personal, "personal", name))]
        case InterviewApplicant():
            return [cultivation.interview(state, command, policy)]
        case DesignateActivist():
            return [cultivation.designate_activist(state, command, policy)]
        case AssignCultivationContacts():
            members = needed(full_member_ids, "full_member_ids", name)
            return [cultivation.assign_contacts(state, command, policy, members)]
        case RecordAssessment():
            return [cultivation.assess(state, command, policy)]
        case TransferActivistFile():
            return [cultivation.transfer(state, command)]
        case DesignateDevelopmentTarget():
            return [cultivation.designate_target(state, command, policy)]
        case AssignIntroducers():
            members = needed(full_member_ids, "full_member_ids", name)
            return [admission.assign_introducers(state, command, policy, members)]
        case CompletePoliticalReview():
            return [admission.political_review(state, command)]
        case RecordTraining():
            return [admission.training(state, command)]
        case PreReview():
            return [admission.pre_review(state, command, policy, approver_has_authority)]
        case HoldAdmissionVote():
            entitled = needed(entitled_full_members, "entitled_full_members", name)
            temporary = needed(org_is_temporary, "org_is_temporary", name)
            return [admission.admission_vote(state, command, entitled, temporary)]
        case ApproveAdmission():
            return [admission.approve_admission(state, command, policy, approver_has_authority)]
        case TakeOath():
            return [probation.take_oath(state, command)]
        case ApplyForConversion():
            return [probation.apply_for_conversion(state, command, policy)]
        case HoldConversionVote():
            entitled = needed(entitled_full_members, "entitled_full_members", name)
            temporary = needed(org_is_temporary, "org_is_temporary", name)
            return [probation.conversion_vote(state, command, policy, entitled, temporary)]
        case ApproveConversion():
            return [probation.approve_conversion(state, command, policy, approver_has_authority)]
        case CancelCase():
            return [probation.cancel(state, command)]
        case _:
            assert_never(command)


def evolve(state: DevelopmentCase, event: DevelopmentEvent) -> DevelopmentCase:
    match event:
        case ApplicationSubmitted():
            # A new application after a cancelled case starts the case afresh.
            return DevelopmentCase(
                exists=True, person_id=event.person_id, name=event.name, birth_date=event.birth_date,
                is_mobile=event.is_mobile, stage=Stage.APPLICANT, org_id=event.org_id, applied_on=event.applied_on,
                last_step_on=event.applied_on,
            )
        case ApplicantInterviewed():
            return _at(event.interviewed_on, replace(state, interviewed_on=event.interviewed_on))
        case ActivistDesignated():
            on = event.designated_on
            return _at(on, replace(state, stage=Stage.ACTIVIST, activist_since=on))
        case CultivationContactsAssigned():
            on = event.assigned_on
            return _at(on, replace(state, contacts=event.contact_member_ids, contacts_assigned_on=on))
        case ActivistAssessed():
            return _at(event.assessed_on, replace(state, assessments=(*state.assessments, event.assessed_on)))
        case ActivistFileTransferred():
            # The new organisation's own full members take over cultivation; the time already served counts.
            return _at(event.transferred_on, replace(
                state, org_id=event.to_org_id, contacts=(), contacts_assigned_on=None,
                previous_org_ids=(*state.previous_org_ids, event.from_org_id),
            ))
        case DevelopmentTargetDesignated():
            on = event.designated_on
            return _at(on, replace(state, stage=Stage.DEVELOPMENT_TARGET, target_since=on))
        case IntroducersAssigned():
            on = event.assigned_on
            return _at(on, replace(state, introducers=event.introducer_member_ids, introducers_assigned_on=on))
        case PoliticalReviewCompleted():
            on = event.reviewed_on
            return _at(on, replace(state, political_review_on=on, political_review_qualified=event.qualified))
        case DevelopmentTrainingRecorded():
            on = event.completed_on
            return _at(on, replace(
                state, training_hours=state.training_hours + event.hours,
                training_days=state.training_days + event.days,
                last_training_on=max(on, state.last_training_on) if state.last_training_on else on,
            ))
        case PreReviewed():
            on = event.reviewed_on
            return _at(on, replace(state, pre_reviewed_on=on, pre_review_approved=event.approved))
        case AdmissionVoteHeld():
            on = event.held_on
            return _at(on, replace(state, last_admission_vote_on=on, admission_vote_on=on if event.passed else None))
        case ProbationaryAdmitted():
            return _at(event.approved_on, replace(
                state, stage=Stage.PROBATIONARY, admitted_on=event.approved_on,
                probation_start=event.probation_start, probation_end=event.probation_end,
            ))
        case OathTaken():
            return _at(event.sworn_on, replace(state, oath_on=event.sworn_on))
        case ConversionApplied():
            return _at(event.applied_on, replace(state, conversion_applied_on=event.applied_on))
        case ConversionVoteHeld():
            on = event.held_on
            if not event.passed:
                return _at(on, replace(state, last_conversion_vote_on=on))
            return _at(on, replace(
                state, last_conversion_vote_on=on, conversion_vote_on=on, conversion_resolution=event.resolution,
                conversion_extension_months=event.extension_months,
            ))
        case Converted():
            on = event.approved_on
            return _at(on, replace(state, stage=Stage.FULL, party_age_start=event.party_age_start, closed_on=on))
        case ProbationExtended():
            # A new probation period: the member applies, the branch votes and the committee approves again.
            return _at(event.approved_on, replace(
                state, probation_end=event.new_end, extensions=state.extensions + 1, conversion_applied_on=None,
                conversion_vote_on=None, conversion_resolution=None, conversion_extension_months=None,
            ))
        case ProbationCancelled():
            on = event.approved_on
            return _at(on, replace(state, stage=Stage.CANCELLED, closed_on=on))
        case DevelopmentCaseCancelled():
            on = event.cancelled_on
            return _at(on, replace(state, stage=Stage.CANCELLED, closed_on=on))
        case _:
            assert_never(event)


def _at(on: date, state: DevelopmentCase) -> DevelopmentCase:
    """``state`` with ``on`` taken into the latest step date."""
    return replace(state, last_step_on=max(on, state.last_step_on) if state.last_step_on else on)


def due_items(
    state: DevelopmentCase, on: date, policy: DevelopmentPolicy | None = None
) -> list[DueItem]:
    """What the case owes on ``on`` (D4); ``overdue`` when ``on`` is after the due date.

    Kinds: ``interview_due`` (applicant not yet talked with); ``assessment_due`` (an activist, six
    months after the last assessment or the designation); ``target_eligible`` (a date *from* which
    the activist may become a target — never overdue); ``admission_approval_due`` and
    ``admission_approval_limit`` (3 and 6 months after a passed vote); ``probation_ends`` (overdue
    while no conversion application follows); ``conversion_meeting_due``; ``conversion_approval_due``.
    Each item is listed from the moment it is owed; a step once done drops its item. Closed cases owe nothing.
    """
    policy = policy or development_policy_on(on)
    if not state.exists:
        return []
    items: list[tuple[str, date, bool]] = []
    if state.stage is Stage.APPLICANT and state.interviewed_on is None and state.applied_on:
        items.append(("interview_due", add_months(state.applied_on, policy.interview_within_months), True))
    if state.stage is Stage.ACTIVIST and state.activist_since:
        last = state.assessments[-1] if state.assessments else state.activist_since
        items.append(("assessment_due", add_months(last, policy.assessment_interval_months), True))
        eligible = state.activist_since + timedelta(days=policy.target_min_cultivation_days)
        items.append(("target_eligible", eligible, False))
    if state.stage is Stage.DEVELOPMENT_TARGET and state.admission_vote_on:
        vote = state.admission_vote_on
        items.append(("admission_approval_due", add_months(vote, policy.admission_approval_months), True))
        items.append(("admission_approval_limit", add_months(vote, policy.admission_approval_limit_months), True))
    if state.stage is Stage.PROBATIONARY and state.probation_end:
        if state.conversion_applied_on is None:
            items.append(("probation_ends", state.probation_end, True))
        elif state.conversion_vote_on is None:
            due = add_months(state.conversion_applied_on, policy.conversion_meeting_months)
            items.append(("conversion_meeting_due", due, True))
        else:
            due = add_months(state.conversion_vote_on, policy.conversion_approval_months)
            items.append(("conversion_approval_due", due, True))
    return [
        DueItem(kind=kind, due_on=due_on, subject_id=state.person_id, overdue=can_lapse and on > due_on)
        for kind, due_on, can_lapse in items
    ]

