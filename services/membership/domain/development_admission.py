"""Development steps 9–17: introducers, political review, training, pre-review, admission vote, approval."""

from __future__ import annotations

from collections.abc import Set

from services.membership.contract.commands.development import (
    ApproveAdmission,
    AssignIntroducers,
    CompletePoliticalReview,
    HoldAdmissionVote,
    PreReview,
    RecordTraining,
)
from services.membership.contract.events.development import (
    AdmissionVoteHeld,
    DevelopmentTrainingRecorded,
    IntroducersAssigned,
    PoliticalReviewCompleted,
    PreReviewed,
    ProbationaryAdmitted,
)
from services.membership.domain.development_cultivation import distinct_full_members
from services.membership.domain.development_state import (
    DevelopmentCase,
    Stage,
    count_ballot,
    existing,
    require_approval_authority,
    require_case_scope,
    require_stage,
)
from services.membership.domain.rules import training_time
from services.membership.policy.development import DevelopmentPolicy
from services.pure.dates import add_months, check_date
from services.pure.errors import DomainError, StateConflict
from services.pure.personal_text import in_words, not_personal


def assign_introducers(
    state: DevelopmentCase, cmd: AssignIntroducers, policy: DevelopmentPolicy, full_member_ids: Set[str]
) -> IntroducersAssigned:
    existing(state, cmd.person_id)
    require_case_scope(cmd.actor, state, "assign introducers")
    require_stage(state, "assigning introducers", Stage.DEVELOPMENT_TARGET)
    _before_vote(state, "change the introducers")
    ids = distinct_full_members(cmd.introducer_member_ids, state.person_id, full_member_ids, "introducer")
    if len(ids) != policy.introducers_required:
        raise DomainError(
            f"a development target has exactly {policy.introducers_required} introducers; {len(ids)} were given"
        )
    check_date(cmd.assigned_on, cmd.today, "assigned_on", not_before=state.target_since, earlier="the designation")
    return IntroducersAssigned(
        person_id=state.person_id, introducer_member_ids=ids, assigned_on=cmd.assigned_on,
        policy_version=policy.version,
    )


def political_review(state: DevelopmentCase, cmd: CompletePoliticalReview) -> PoliticalReviewCompleted:
    existing(state, cmd.person_id)
    require_case_scope(cmd.actor, state, "record political reviews")
    require_stage(state, "a political review", Stage.DEVELOPMENT_TARGET)
    if state.pre_review_approved:
        raise StateConflict(
            f"the pre-review approved the target on {state.pre_reviewed_on}; the political review is closed"
        )
    check_date(cmd.reviewed_on, cmd.today, "reviewed_on", not_before=state.target_since, earlier="the designation")
    extra = (cmd.hukou_place_org, cmd.residence_org)
    if state.is_mobile and not all(o and o.strip() for o in extra):
        raise DomainError(
            "a mobile person's political review consults the organisations of the hukou place and of the residence: "
            "give hukou_place_org and residence_org"
        )
    consulted: list[str] = []
    for org in (*cmd.consulted_orgs, *extra):
        if org and org.strip() and org.strip() not in consulted:
            consulted.append(org.strip())
    for what, orgs in (("consulted_orgs", cmd.consulted_orgs), ("hukou_place_org", (cmd.hukou_place_org,)),
                       ("residence_org", (cmd.residence_org,))):
        for org in orgs:
            not_personal(org or "", what, instead="the organisation consulted, by id or name")
    return PoliticalReviewCompleted(
        person_id=state.person_id, reviewed_on=cmd.reviewed_on, qualified=cmd.qualified,
        consulted_orgs=tuple(consulted), actor=cmd.actor.label,
    )


def training(state: DevelopmentCase, cmd: RecordTraining) -> DevelopmentTrainingRecorded:
    existing(state, cmd.person_id)
    require_case_scope(cmd.actor, state, "record training")
    require_stage(state, "recording training", Stage.DEVELOPMENT_TARGET)
    if not cmd.course.strip():
        raise DomainError("course must name the training")
    not_personal(cmd.course, "course", instead="the training's name, e.g. \"入党积极分子培训班\"")
    if cmd.hours < 0 or cmd.days < 0 or (cmd.hours == 0 and cmd.days == 0):
        raise DomainError("a training record has positive hours or days, never negative ones")
    training_time(cmd.hours, cmd.days)
    check_date(
        cmd.completed_on, cmd.today, "completed_on", not_before=state.activist_since, earlier="the activist designation"
    )
    return DevelopmentTrainingRecorded(
        person_id=state.person_id, course=cmd.course.strip(), completed_on=cmd.completed_on, hours=cmd.hours,
        days=cmd.days,
    )


def pre_review(
    state: DevelopmentCase, cmd: PreReview, policy: DevelopmentPolicy, approver_has_authority: bool | None
) -> PreReviewed:
    existing(state, cmd.person_id)
    approving_org = require_approval_authority(cmd.actor, approver_has_authority, "pre-review development targets")
    require_stage(state, "a pre-review", Stage.DEVELOPMENT_TARGET)
    if state.pre_review_approved:
        raise StateConflict(f"the target was already pre-reviewed and approved on {state.pre_reviewed_on}")
    latest_step = max(d for d in (state.target_since, state.introducers_assigned_on, state.political_review_on,
                                  state.last_training_on, state.pre_reviewed_on) if d is not None)
    check_date(cmd.reviewed_on, cmd.today, "reviewed_on", not_before=latest_step, earlier="the last preparatory step")
    soon = add_months(cmd.reviewed_on, policy.leaving_soon_months)
    leaving_soon = cmd.leaving_on is not None and cmd.leaving_on <= soon
    if cmd.approved:
        _require_ready(state, policy)
        if leaving_soon and policy.refuse_targets_leaving_soon:
            raise DomainError(
                f"a target leaving the unit within {policy.leaving_soon_months} months (on {cmd.leaving_on}) is "
                "generally not admitted (细则 art. 19); transfer the file so the new organisation develops them"
            )
    elif not cmd.remarks.strip():
        raise DomainError("remarks must say why the pre-review did not approve the target")
    not_personal(cmd.remarks, "remarks", instead=in_words("what the pre-review found"))
    return PreReviewed(
        person_id=state.person_id, reviewed_on=cmd.reviewed_on, approved=cmd.approved, remarks=cmd.remarks.strip(),
        leaving_on=cmd.leaving_on, leaving_soon=leaving_soon, training_hours=state.training_hours,
        training_days=state.training_days, actor=cmd.actor.label, approving_org_id=approving_org,
        policy_version=policy.version,
    )


def admission_vote(
    state: DevelopmentCase, cmd: HoldAdmissionVote, entitled_full_members: int, org_is_temporary: bool
) -> AdmissionVoteHeld:
    existing(state, cmd.person_id)
    require_case_scope(cmd.actor, state, "record admission votes")
    require_stage(state, "an admission vote", Stage.DEVELOPMENT_TARGET)
    if org_is_temporary:
        raise DomainError(
            f"{state.org_id} is a temporary branch and cannot admit members (B1); "
            "transfer the file to the formal branch or let the township committee's organisation vote"
        )
    if not state.pre_review_approved:
        raise DomainError("the base committee's pre-review must approve the target before the branch votes")
    _before_vote(state, "hold another admission vote")
    after = state.last_admission_vote_on or state.pre_reviewed_on
    check_date(cmd.held_on, cmd.today, "held_on", not_before=after, earlier="the pre-review or the last vote")
    if state.last_admission_vote_on is not None and cmd.held_on == state.last_admission_vote_on:
        raise StateConflict(f"a vote was already held on {cmd.held_on}; a new vote is a new meeting")
    passed = count_ballot(
        entitled=entitled_full_members, present=cmd.present, yes=cmd.yes, no=cmd.no, abstain=cmd.abstain,
        written_opinions=cmd.written_opinions, candidates=cmd.candidates_on_ballot,
    )
    return AdmissionVoteHeld(
        person_id=state.person_id, org_id=state.org_id, held_on=cmd.held_on, entitled=entitled_full_members,
        present=cmd.present, written_opinions=cmd.written_opinions, yes=cmd.yes, no=cmd.no, abstain=cmd.abstain,
        passed=passed, actor=cmd.actor.label,
    )


def approve_admission(
    state: DevelopmentCase, cmd: ApproveAdmission, policy: DevelopmentPolicy, approver_has_authority: bool | None
) -> ProbationaryAdmitted:
    existing(state, cmd.person_id)
    approving_org = require_approval_authority(cmd.actor, approver_has_authority, "approve admissions")
    require_stage(state, "approving an admission", Stage.DEVELOPMENT_TARGET)
    vote = state.admission_vote_on
    if vote is None:
        raise StateConflict("no admission vote has passed; the branch general meeting votes before approval")
    check_date(cmd.talked_on, cmd.today, "talked_on", not_before=vote, earlier="the admission vote")
    check_date(cmd.approved_on, cmd.today, "approved_on", not_before=cmd.talked_on, earlier="the committee's talk")
    due = add_months(vote, policy.admission_approval_months)
    limit = add_months(vote, policy.admission_approval_limit_months)
    reason = not_personal((cmd.special_reason or "").strip(), "special_reason",
                          instead=in_words("why the approval comes late")) or None
    if cmd.approved_on > limit:
        raise DomainError(
            f"approval is due within {policy.admission_approval_limit_months} months of the vote on {vote} "
            f"(by {limit} at the latest); the branch must vote again"
        )
    if cmd.approved_on > due and reason is None:
        raise DomainError(
            f"approval after {due} ({policy.admission_approval_months} months after the vote) is for special "
            "cases only: give special_reason"
        )
    return ProbationaryAdmitted(
        person_id=state.person_id, org_id=state.org_id, vote_on=vote, talked_on=cmd.talked_on,
        approved_on=cmd.approved_on, approval_due_on=due, late=cmd.approved_on > due, special_reason=reason,
        probation_start=vote, probation_end=add_months(vote, policy.probation_months), actor=cmd.actor.label,
        approving_org_id=approving_org, policy_version=policy.version,
    )


def training_met(state: DevelopmentCase, policy: DevelopmentPolicy) -> bool:
    """B6/D3: at least the policy's hours, or at least its days, of training."""
    return state.training_hours >= policy.training_min_hours or state.training_days >= policy.training_min_days


def _require_ready(state: DevelopmentCase, policy: DevelopmentPolicy) -> None:
    missing: list[str] = []
    if len(state.introducers) != policy.introducers_required:
        missing.append(f"{policy.introducers_required} introducers")
    if not state.political_review_qualified:
        missing.append("a political review that found the target qualified")
    if not training_met(state, policy):
        missing.append(
            f"training of at least {policy.training_min_hours} hours or {policy.training_min_days} days "
            f"(recorded: {state.training_hours} hours, {state.training_days} days)"
        )
    if missing:
        raise DomainError("before pre-review the target needs " + "; ".join(missing))


def _before_vote(state: DevelopmentCase, action: str) -> None:
    if state.admission_vote_on is not None:
        raise StateConflict(
            f"the admission vote passed on {state.admission_vote_on}; you cannot {action} now — "
            "the higher committee approves the admission, or the case is cancelled"
        )
