"""Development steps 1–8: application, talk, activist, cultivation contacts, assessments, transfer, target."""

from __future__ import annotations

from collections.abc import Set
from datetime import date, timedelta

from services.membership.contract.commands.development import (
    AssignCultivationContacts,
    DesignateActivist,
    DesignateDevelopmentTarget,
    InterviewApplicant,
    RecordAssessment,
    SubmitApplication,
    TransferActivistFile,
)
from services.membership.contract.events.development import (
    ActivistAssessed,
    ActivistDesignated,
    ActivistFileTransferred,
    ApplicantInterviewed,
    ApplicationRoute,
    ApplicationSubmitted,
    CultivationContactsAssigned,
    DevelopmentTargetDesignated,
)
from services.membership.domain.development_state import (
    DevelopmentCase,
    Stage,
    existing,
    require_case_scope,
    require_self_or_scope,
    require_stage,
)
from services.membership.domain.personal import NAME_ONLY, Protected
from services.membership.domain.rules import age_on
from services.membership.policy.development import DevelopmentPolicy
from services.pure.dates import add_months, check_date
from services.pure.errors import AlreadyExists, DomainError, Forbidden, StateConflict
from services.pure.identity import Role
from services.pure.personal_text import in_words, not_personal

#: 细则 art. 6: only mobile persons may apply where their unit is, to its supervising department or to
#: a mobile-member organisation such as an outstation branch.
_MOBILE_ROUTES = frozenset({
    ApplicationRoute.UNIT_LOCATION,
    ApplicationRoute.SUPERVISING_DEPARTMENT,
    ApplicationRoute.MOBILE_MEMBER_ORGANISATION,
})


def submit(
    state: DevelopmentCase, cmd: SubmitApplication, policy: DevelopmentPolicy, personal: Protected
) -> ApplicationSubmitted:
    require_self_or_scope(cmd.actor, cmd.person_id, cmd.org_id, "submit an application")
    if state.exists and state.stage is not Stage.CANCELLED:
        stage = state.stage.value if state.stage else "unknown"
        raise AlreadyExists(f"{cmd.person_id} already has a development case at stage {stage} in {state.org_id}")
    if not cmd.name.strip() or not cmd.org_id.strip():
        raise DomainError("name and org_id must not be empty")
    not_personal(cmd.name, "name", instead=NAME_ONLY)
    check_date(cmd.applied_on, cmd.today, "applied_on", not_before=state.closed_on, earlier="the earlier case's end")
    if cmd.route in _MOBILE_ROUTES and not cmd.is_mobile:
        raise DomainError(
            f"only mobile persons may apply via {cmd.route.value}; apply to the work or study unit's organisation, "
            "else the residence's, or set is_mobile"
        )
    if personal.birth_date is not None and personal.birth_date != cmd.birth_date:
        raise DomainError("birth_date does not match the birth date in national_id; check both")
    if age_on(cmd.birth_date, cmd.applied_on) < policy.minimum_age:
        eighteenth = _birthday(cmd.birth_date, policy.minimum_age)
        raise DomainError(
            f"an applicant must be at least {policy.minimum_age} on the day of application; "
            f"this person may apply from {eighteenth}"
        )
    return ApplicationSubmitted(
        person_id=cmd.person_id, name=cmd.name.strip(), birth_date=cmd.birth_date,
        national_id_masked=personal.national_id_masked, contact_masked=personal.contact_masked,
        org_id=cmd.org_id.strip(), route=cmd.route, is_mobile=cmd.is_mobile, applied_on=cmd.applied_on,
        policy_version=policy.version, personal=personal.sealed,
    )


def interview(state: DevelopmentCase, cmd: InterviewApplicant, policy: DevelopmentPolicy) -> ApplicantInterviewed:
    existing(state, cmd.person_id)
    require_case_scope(cmd.actor, state, "record the talk with an applicant")
    require_stage(state, "a talk with the applicant", Stage.APPLICANT)
    if state.interviewed_on is not None:
        raise StateConflict(f"the applicant was already talked with on {state.interviewed_on}")
    if not cmd.interviewer.strip():
        raise DomainError("interviewer must name who talked with the applicant")
    not_personal(cmd.interviewer, "interviewer", instead="who talked with the applicant: their name or member id")
    check_date(cmd.interviewed_on, cmd.today, "interviewed_on", not_before=state.applied_on, earlier="the application")
    assert state.applied_on is not None
    # 细则 art. 7: within one month. A late talk is still recorded — the record shows it was late.
    due = add_months(state.applied_on, policy.interview_within_months)
    return ApplicantInterviewed(
        person_id=state.person_id, interviewer=cmd.interviewer.strip(), interviewed_on=cmd.interviewed_on,
        due_on=due, late=cmd.interviewed_on > due, policy_version=policy.version,
    )


def designate_activist(state: DevelopmentCase, cmd: DesignateActivist, policy: DevelopmentPolicy) -> ActivistDesignated:
    existing(state, cmd.person_id)
    require_case_scope(cmd.actor, state, "designate activists")
    require_stage(state, "designating an activist", Stage.APPLICANT)
    if state.interviewed_on is None:
        raise DomainError("talk with the applicant first (step 2), then designate them an activist")
    check_date(cmd.designated_on, cmd.today, "designated_on", not_before=state.interviewed_on, earlier="the talk")
    assert state.applied_on is not None
    earliest = add_months(state.applied_on, policy.activist_min_months_after_application)
    if cmd.designated_on < earliest:
        raise DomainError(
            f"an applicant becomes an activist at least {policy.activist_min_months_after_application} months after "
            f"applying (policy {policy.version}); the earliest date is {earliest}"
        )
    _require_higher_filing(state, cmd.filed_with_org_id)
    return ActivistDesignated(
        person_id=state.person_id, org_id=state.org_id, nomination=cmd.nomination, decided_by=cmd.decided_by,
        designated_on=cmd.designated_on, filed_with_org_id=cmd.filed_with_org_id.strip(), actor=cmd.actor.label,
        policy_version=policy.version,
    )


def assign_contacts(
    state: DevelopmentCase, cmd: AssignCultivationContacts, policy: DevelopmentPolicy, full_member_ids: Set[str]
) -> CultivationContactsAssigned:
    existing(state, cmd.person_id)
    require_case_scope(cmd.actor, state, "assign cultivation contacts")
    require_stage(state, "assigning cultivation contacts", Stage.ACTIVIST, Stage.DEVELOPMENT_TARGET)
    low, high = policy.min_cultivation_contacts, policy.max_cultivation_contacts
    ids = distinct_full_members(cmd.contact_member_ids, state.person_id, full_member_ids, "cultivation contact")
    if not low <= len(ids) <= high:
        raise DomainError(f"an activist has {low} to {high} cultivation contacts; {len(ids)} were given")
    check_date(cmd.assigned_on, cmd.today, "assigned_on", not_before=state.activist_since, earlier="the designation")
    return CultivationContactsAssigned(
        person_id=state.person_id, contact_member_ids=ids, assigned_on=cmd.assigned_on,
        policy_version=policy.version,
    )


def assess(state: DevelopmentCase, cmd: RecordAssessment, policy: DevelopmentPolicy) -> ActivistAssessed:
    existing(state, cmd.person_id)
    # Cultivation contacts record assessments of the persons assigned to them (D6).
    if cmd.actor.role is Role.MEMBER:
        if cmd.actor.subject not in state.contacts:
            raise Forbidden("only the assigned cultivation contacts or the organisation record assessments")
    else:
        require_case_scope(cmd.actor, state, "record assessments")
    require_stage(state, "an assessment", Stage.ACTIVIST, Stage.DEVELOPMENT_TARGET)
    if not cmd.summary.strip():
        raise DomainError("summary must say how the activist was assessed")
    not_personal(cmd.summary, "summary", instead=in_words("how the activist was assessed"))
    last = state.assessments[-1] if state.assessments else state.activist_since
    if cmd.assessed_on in state.assessments:
        raise StateConflict(f"an assessment dated {cmd.assessed_on} is already recorded")
    check_date(cmd.assessed_on, cmd.today, "assessed_on", not_before=last, earlier="the previous assessment")
    assert last is not None
    due = add_months(last, policy.assessment_interval_months)
    return ActivistAssessed(
        person_id=state.person_id, assessed_on=cmd.assessed_on, summary=cmd.summary.strip(), due_on=due,
        late=cmd.assessed_on > due, assessed_by=cmd.actor.label, policy_version=policy.version,
    )


def transfer(state: DevelopmentCase, cmd: TransferActivistFile) -> ActivistFileTransferred:
    existing(state, cmd.person_id)
    require_case_scope(cmd.actor, state, "transfer development files")
    require_stage(state, "transferring a development file", Stage.APPLICANT, Stage.ACTIVIST, Stage.DEVELOPMENT_TARGET)
    if state.pre_review_approved:
        raise StateConflict(
            f"the pre-review approved the target on {state.pre_reviewed_on}; the case is concluded where it is, "
            "not transferred"
        )
    to_org = cmd.to_org_id.strip()
    if not to_org or to_org == state.org_id:
        raise DomainError(f"to_org_id must name another organisation than {state.org_id}")
    check_date(cmd.transferred_on, cmd.today, "transferred_on", not_before=state.last_step_on, earlier="the last step")
    return ActivistFileTransferred(
        person_id=state.person_id, from_org_id=state.org_id, to_org_id=to_org, transferred_on=cmd.transferred_on,
        cultivation_since=state.activist_since, actor=cmd.actor.label,
    )


def designate_target(
    state: DevelopmentCase, cmd: DesignateDevelopmentTarget, policy: DevelopmentPolicy
) -> DevelopmentTargetDesignated:
    existing(state, cmd.person_id)
    require_case_scope(cmd.actor, state, "designate development targets")
    require_stage(state, "designating a development target", Stage.ACTIVIST)
    assert state.activist_since is not None
    check_date(cmd.designated_on, cmd.today, "designated_on", not_before=state.last_step_on, earlier="the last step")
    # D3: counted in days from the activist designation, across transfers (细则 art. 12).
    days = (cmd.designated_on - state.activist_since).days
    if days < policy.target_min_cultivation_days:
        earliest = state.activist_since + timedelta(days=policy.target_min_cultivation_days)
        raise DomainError(
            f"a development target needs {policy.target_min_cultivation_days} days of cultivation as activist; "
            f"{state.person_id} has {days} (since {state.activist_since}) — the earliest date is {earliest}"
        )
    if not state.contacts:
        raise DomainError("assign cultivation contacts first: the committee hears them before designating a target")
    _require_higher_filing(state, cmd.filed_with_org_id)
    return DevelopmentTargetDesignated(
        person_id=state.person_id, org_id=state.org_id, designated_on=cmd.designated_on,
        cultivation_since=state.activist_since, cultivation_days=days, decided_by=cmd.decided_by,
        filed_with_org_id=cmd.filed_with_org_id.strip(), actor=cmd.actor.label, policy_version=policy.version,
    )


def distinct_full_members(
    ids: tuple[str, ...], person_id: str, full_member_ids: Set[str], role: str
) -> tuple[str, ...]:
    """Distinct, non-empty ids of full members other than the person; names the ones that are not."""
    cleaned = tuple(i.strip() for i in ids)
    if any(not i for i in cleaned) or len(set(cleaned)) != len(cleaned):
        raise DomainError(f"each {role} is named once, by member id")
    if person_id in cleaned:
        raise DomainError(f"a person cannot be their own {role}")
    outsiders = [i for i in cleaned if i not in full_member_ids]
    if outsiders:
        raise DomainError(f"a {role} must be a full member; not full members: {', '.join(outsiders)}")
    return cleaned


def _birthday(born: date, years: int) -> date:
    # Matches rules.age_on: someone born on 29 February comes of age on 1 March in a common year.
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


def _require_higher_filing(state: DevelopmentCase, filed_with: str) -> None:
    if not filed_with.strip() or filed_with.strip() == state.org_id:
        raise DomainError("filed_with_org_id must name the higher committee the decision is filed with")
