"""Member development (发展党员), application to development target, deadlines and the wire form of its events."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.events import EventRegistry
from services.kernel.handling import fold
from services.membership.contract.commands.development import (
    ApplyForConversion,
    CancelCase,
    RecordAssessment,
    TakeOath,
    TransferActivistFile,
)
from services.membership.contract.events.development import (
    EVENTS,
    ActivistFileTransferred,
    AdmissionVoteHeld,
    ApplicantInterviewed,
    ApplicationRoute,
    ConversionVoteHeld,
    Converted,
    DevelopmentTargetDesignated,
)
from services.membership.domain import deadlines, development
from services.membership.domain.deadlines import RaiseDueItems
from services.membership.domain.development import DevelopmentCase, Stage
from services.membership.policy.development import DEFAULT_DEVELOPMENT_POLICY, DevelopmentPolicy
from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from tests.unit.membership.builders import national_id
from tests.unit.membership.development_builders import (
    ACTIVIST_ON,
    APPLICANT,
    PERSON,
    PROBATION_END,
    SECRETARY,
    TODAY,
    activist,
    applicant,
    applied_for_conversion,
    apply,
    approve,
    approve_conversion,
    contacts,
    conversion_vote,
    decide,
    designate,
    given_,
    interview,
    introducers,
    pre_review,
    probationary,
    review,
    s,
    target,
    training,
    vote,
    voted,
)

# --- application and talk ---------------------------------------------------------------------------

def test_an_applicant_must_be_eighteen_on_the_day_of_application() -> None:
    assert decide(development.INITIAL, apply(birth_date=date(2006, 1, 15)))
    with pytest.raises(DomainError, match=r"at least 18.*from 2024-01-16"):
        decide(development.INITIAL, apply(birth_date=date(2006, 1, 16)))


def test_someone_born_on_29_february_may_apply_from_1_march_of_a_common_year() -> None:
    with pytest.raises(DomainError, match="from 2022-03-01"):
        decide(development.INITIAL, apply(birth_date=date(2004, 2, 29), applied_on=date(2022, 2, 28)))
    assert decide(development.INITIAL, apply(birth_date=date(2004, 2, 29), applied_on=date(2022, 3, 1)))


def test_only_mobile_persons_may_apply_to_a_mobile_member_organisation() -> None:
    with pytest.raises(DomainError, match="only mobile persons"):
        decide(development.INITIAL, apply(is_mobile=False))
    assert decide(development.INITIAL, apply(is_mobile=False, route=ApplicationRoute.RESIDENCE))


def test_a_person_applies_for_themselves_and_not_for_someone_else() -> None:
    with pytest.raises(Forbidden, match="only for themselves"):
        decide(development.INITIAL, apply(actor=Actor(subject="p-2", role=Role.MEMBER)))


def test_the_birth_date_must_match_the_national_id() -> None:
    assert decide(development.INITIAL, apply(national_id=national_id(date(1995, 3, 10))))
    with pytest.raises(DomainError, match="does not match"):
        decide(development.INITIAL, apply(national_id=national_id(date(1995, 3, 11))))


def test_a_second_application_is_refused_while_a_case_is_open_but_allowed_after_withdrawal() -> None:
    with pytest.raises(AlreadyExists, match="stage applicant"):
        decide(applicant(), apply())
    withdrawn = given_(s(CancelCase, actor=APPLICANT, cancelled_on=date(2024, 2, 1), reason="moving abroad"),
                       state=applicant())
    with pytest.raises(DomainError, match="before the earlier case's end"):
        decide(withdrawn, apply(applied_on=date(2024, 1, 31)))
    again = given_(apply(applied_on=date(2025, 1, 1)), state=withdrawn)
    assert again.stage is Stage.APPLICANT and again.applied_on == date(2025, 1, 1)


def test_a_talk_within_one_month_is_on_time_and_a_day_later_is_recorded_as_late() -> None:
    state = given_(apply(applied_on=date(2024, 1, 31)))
    (on_time,) = decide(state, interview(date(2024, 2, 29)))
    (late,) = decide(state, interview(date(2024, 3, 1)))
    assert isinstance(on_time, ApplicantInterviewed) and not on_time.late and on_time.due_on == date(2024, 2, 29)
    assert late.late


def test_an_applicant_is_talked_with_once_and_not_before_applying() -> None:
    with pytest.raises(DomainError, match="before the application"):
        decide(applicant(), interview(date(2024, 1, 14)))
    with pytest.raises(StateConflict, match="already talked"):
        decide(given_(interview(), state=applicant()), interview())


def test_no_step_is_taken_on_a_case_that_does_not_exist() -> None:
    with pytest.raises(NotFound, match="submit an application first"):
        decide(development.INITIAL, interview())


# --- activist ---------------------------------------------------------------------------------------

def test_an_applicant_becomes_activist_only_after_the_talk() -> None:
    with pytest.raises(DomainError, match="talk with the applicant first"):
        decide(applicant(), designate())


def test_by_default_an_activist_may_be_designated_on_the_day_of_the_talk() -> None:
    (event,) = decide(given_(interview(), state=applicant()), designate(date(2024, 2, 1)))
    assert event.policy_version == DEFAULT_DEVELOPMENT_POLICY.version and event.actor == SECRETARY.label


def test_a_local_six_month_minimum_before_activist_applies_when_configured() -> None:
    local = replace(DEFAULT_DEVELOPMENT_POLICY, version="local-6m", activist_min_months_after_application=6)
    state = given_(interview(), state=applicant())
    with pytest.raises(DomainError, match="earliest date is 2024-07-15"):
        decide(state, designate(date(2024, 7, 14)), policy=local)
    assert decide(state, designate(date(2024, 7, 15)), policy=local)[0].policy_version == "local-6m"


def test_a_secretary_of_another_branch_cannot_designate_activists() -> None:
    other = Actor(subject="s2", role=Role.BRANCH_SECRETARY, org_id="b-2")
    with pytest.raises(Forbidden, match="b-2 cannot designate activists in b-1"):
        decide(given_(interview(), state=applicant()), designate(actor=other))


def test_an_activist_decision_is_filed_with_a_higher_committee() -> None:
    with pytest.raises(DomainError, match="higher committee"):
        decide(given_(interview(), state=applicant()), designate(filed_with_org_id="b-1"))


@pytest.mark.parametrize("ids", [(), ("m-1", "m-2", "m-3")])
def test_an_activist_has_one_or_two_cultivation_contacts_never_none_or_three(ids: tuple[str, ...]) -> None:
    state = given_(interview(), designate(), state=applicant())
    with pytest.raises(DomainError, match="1 to 2 cultivation contacts"):
        decide(state, replace(contacts(), contact_member_ids=ids))
    assert decide(state, contacts("m-1", "m-2"))


def test_a_cultivation_contact_must_be_a_full_member_and_the_context_must_say_who_is() -> None:
    state = given_(interview(), designate(), state=applicant())
    with pytest.raises(DomainError, match="not full members: p-9"):
        decide(state, contacts("m-1", "p-9"))
    with pytest.raises(TypeError, match="full_member_ids"):
        development.decide(state, contacts())


def test_an_assessment_six_months_after_designation_is_on_time_and_a_day_later_is_late() -> None:
    (on_time,) = decide(activist(), s(RecordAssessment, assessed_on=date(2024, 9, 1), summary="steady"))
    (late,) = decide(activist(), s(RecordAssessment, assessed_on=date(2024, 9, 2), summary="steady"))
    assert (on_time.late, late.late, late.due_on) == (False, True, date(2024, 9, 1))


def test_a_cultivation_contact_records_assessments_of_their_own_activist_only() -> None:
    contact = Actor(subject="m-1", role=Role.MEMBER)
    assert decide(activist(), s(RecordAssessment, actor=contact, assessed_on=date(2024, 9, 1), summary="ok"))
    stranger = Actor(subject="m-3", role=Role.MEMBER)
    with pytest.raises(Forbidden, match="cultivation contacts"):
        decide(activist(), s(RecordAssessment, actor=stranger, assessed_on=date(2024, 9, 1), summary="ok"))


# --- development target: one year of cultivation ----------------------------------------------------

def test_an_activist_becomes_a_development_target_on_day_365_and_not_on_day_364() -> None:
    with pytest.raises(DomainError, match=r"has 364.*earliest date is 2025-03-01"):
        decide(activist(), target(ACTIVIST_ON + timedelta(days=364)))
    (event,) = decide(activist(), target(ACTIVIST_ON + timedelta(days=365)))
    assert isinstance(event, DevelopmentTargetDesignated) and event.cultivation_days == 365


def test_one_year_of_cultivation_is_365_days_so_across_29_february_it_ends_before_the_anniversary() -> None:
    start = date(2027, 3, 1)
    state = given_(interview(), designate(start), contacts(on=start), state=applicant())
    late_enough = target(date(2028, 2, 29))
    assert decide(state, late_enough)[0].cultivation_days == 365
    with pytest.raises(DomainError, match="has 364"):
        decide(state, replace(late_enough, designated_on=date(2028, 2, 28)))


@given(st.dates(date(2000, 1, 1), date(2030, 12, 31)), st.integers(0, 800))
def test_target_designation_is_allowed_exactly_from_365_days_of_cultivation(start: date, days: int) -> None:
    # The day count, not the policy's date, is under test: the 2014 policy is applied to every start.
    policy = DEFAULT_DEVELOPMENT_POLICY
    far = start + timedelta(days=900)
    state = given_(apply(applied_on=start, birth_date=date(1960, 1, 1), today=far), interview(start),
                   designate(start), contacts(on=start), policy=policy)
    cmd = target(start + timedelta(days=days), today=far)
    if days >= 365:
        assert decide(state, cmd, policy=policy)[0].cultivation_days == days
    else:
        with pytest.raises(DomainError, match="days of cultivation"):
            decide(state, cmd, policy=policy)


def test_cultivation_time_is_carried_across_a_transfer_of_the_activist_file() -> None:
    new_secretary = Actor(subject="sec2", role=Role.BRANCH_SECRETARY, org_id="b-2")
    (moved,) = decide(activist(), s(TransferActivistFile, to_org_id="b-2", transferred_on=date(2024, 9, 17)))
    assert isinstance(moved, ActivistFileTransferred) and moved.cultivation_since == ACTIVIST_ON
    state = fold(development.evolve, activist(), [moved])
    with pytest.raises(DomainError, match="assign cultivation contacts first"):
        decide(state, target(actor=new_secretary))
    state = given_(contacts("m-3", actor=new_secretary, on=date(2024, 9, 20)), state=state)
    with pytest.raises(DomainError, match=r"has 364 \(since 2024-03-01\)"):
        decide(state, target(date(2025, 2, 28), actor=new_secretary))
    assert decide(state, target(date(2025, 3, 1), actor=new_secretary))[0].org_id == "b-2"
    with pytest.raises(Forbidden):
        decide(state, target(date(2025, 3, 1), actor=SECRETARY))



# --- deadlines ---------------------------------------------------------------------------------------

def kinds(state: DevelopmentCase, on: date) -> list[tuple[str, date, bool]]:
    return [(i.kind, i.due_on, i.overdue) for i in development.due_items(state, on)]


def test_an_interview_is_due_one_month_after_applying_and_overdue_from_the_day_after() -> None:
    assert kinds(applicant(), date(2024, 2, 15)) == [("interview_due", date(2024, 2, 15), False)]
    assert kinds(applicant(), date(2024, 2, 16)) == [("interview_due", date(2024, 2, 15), True)]
    assert kinds(given_(interview(), state=applicant()), date(2024, 3, 1)) == []


def test_an_activist_owes_an_assessment_every_six_months_and_may_become_a_target_after_365_days() -> None:
    assert kinds(activist(), date(2025, 6, 1)) == [
        ("assessment_due", date(2024, 9, 1), True), ("target_eligible", date(2025, 3, 1), False)]
    assessed = given_(s(RecordAssessment, assessed_on=date(2024, 9, 1), summary="ok"), state=activist())
    assert kinds(assessed, date(2025, 3, 1))[0] == ("assessment_due", date(2025, 3, 1), False)


def test_an_admission_approval_is_due_three_months_after_the_vote_with_a_six_month_limit() -> None:
    assert kinds(voted(), date(2025, 7, 16)) == [
        ("admission_approval_due", date(2025, 7, 15), True), ("admission_approval_limit", date(2025, 10, 15), False)]


def test_probation_ending_is_owed_until_the_member_applies_then_the_meeting_then_the_approval() -> None:
    assert kinds(probationary(), PROBATION_END) == [("probation_ends", PROBATION_END, False)]
    assert kinds(probationary(), PROBATION_END + timedelta(days=1))[0][2] is True
    assert kinds(applied_for_conversion(), date(2026, 5, 16)) == [("conversion_meeting_due", date(2026, 5, 15), True)]
    state = given_(conversion_vote(), state=applied_for_conversion())
    assert kinds(state, date(2026, 7, 20)) == [("conversion_approval_due", date(2026, 7, 20), False)]


def test_a_full_member_a_cancelled_case_and_no_case_owe_nothing() -> None:
    full = given_(conversion_vote(), approve_conversion(), state=applied_for_conversion())
    cancelled = given_(s(CancelCase, cancelled_on=date(2024, 4, 1), reason="left"), state=activist())
    assert kinds(full, TODAY) == kinds(cancelled, TODAY) == kinds(development.INITIAL, TODAY) == []


def test_due_items_feed_the_deadline_engine_under_the_persons_id() -> None:
    items = tuple(development.due_items(activist(), date(2024, 9, 2)))
    raised = deadlines.decide(deadlines.INITIAL, RaiseDueItems(
        subject_id=PERSON, subject_type="development", org_id=activist().org_id, today=date(2024, 9, 2), items=items))
    assert {(e.subject_id, e.kind, e.overdue) for e in raised} == {
        (PERSON, "assessment_due", True), (PERSON, "target_eligible", False)}


# --- events on the wire -----------------------------------------------------------------------------

def test_every_event_of_a_whole_journey_survives_the_wire_unchanged() -> None:
    registry: EventRegistry[Any] = EventRegistry(source="/test", events=EVENTS)
    state, seen = development.INITIAL, list[type]()
    journey = [apply(), interview(), designate(), contacts(), target(), introducers(), review(), training(),
               pre_review(), vote(), approve(), s(TakeOath, sworn_on=date(2025, 5, 20)),
               s(ApplyForConversion, applied_on=PROBATION_END), conversion_vote(), approve_conversion()]
    for cmd in journey:
        for event in decide(state, cmd):
            assert registry.decode(registry.wire_name(event), registry.encode(event)) == event
            seen.append(type(event))
            state = development.evolve(state, event)
    assert state.stage is Stage.FULL and state.party_age_start == PROBATION_END
    assert {AdmissionVoteHeld, ConversionVoteHeld, Converted} <= set(seen)


def test_the_development_policy_in_force_is_the_latest_effective_one() -> None:
    from services.membership.policy.development import development_policy_on

    newer = DevelopmentPolicy(version="development-2030.1", effective_from=date(2030, 1, 1))
    policies = (DEFAULT_DEVELOPMENT_POLICY, newer)
    assert development_policy_on(date(2029, 12, 31), policies) is DEFAULT_DEVELOPMENT_POLICY
    assert development_policy_on(date(2030, 1, 1), policies) is newer
    with pytest.raises(LookupError):
        development_policy_on(date(2014, 6, 9))
