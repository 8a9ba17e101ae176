"""Organisational life (三会一课, B5): meetings with attendance and quorum, yearly compliance, training hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.events import EventRegistry
from services.membership.contract.commands.meetings import CorrectMeetingDate
from services.membership.contract.events import meetings as meeting_events
from services.membership.contract.events.meetings import (
    MeetingDateCorrected,
    MeetingKind,
    MeetingRecorded,
    TrainingRecorded,
)
from services.membership.domain import branches, meetings, training
from services.membership.domain.branches import Organisation
from services.membership.domain.meetings import HeldMeeting, Requirement, meeting_compliance
from services.membership.policy.organisation import DEFAULT_ORGANISATION_POLICY, OrganisationPolicy
from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from tests.unit.membership.builders import (
    SECRETARY,
    an_established_branch,
    elect_committee,
    record_meeting,
    record_training,
    roster,
)

POLICY = DEFAULT_ORGANISATION_POLICY


def with_committee() -> Organisation:
    """b-1 with a committee of m-1 (secretary), m-2 and m-3."""
    branch = an_established_branch()
    (event,) = branches.decide(branch, elect_committee(), full_member_ids=roster(9))
    return branches.evolve(branch, event)


def record(cmd: Any = None, *, org: Organisation | None = None, formal: frozenset[str] | None = None,
           **context: Any) -> MeetingRecorded:
    (event,) = meetings.decide(meetings.INITIAL, cmd or record_meeting(), organisation=org or an_established_branch(),
                               formal_member_ids=roster(3) if formal is None else formal, **context)
    return event


def split(n: int, present: int) -> dict[str, tuple[str, ...]]:
    ids = [f"m-{i}" for i in range(1, n + 1)]
    return {"present_ids": tuple(ids[:present]), "absent_ids": tuple(ids[present:])}


# --- Recording a meeting ---------------------------------------------------------------------------


def test_a_general_meeting_is_recorded_with_its_attendance_and_minutes() -> None:
    event = record()
    assert (event.kind, event.present_ids, event.absent_ids) == (MeetingKind.GENERAL_MEETING, ("m-1", "m-2"),
                                                                 ("m-3",))
    assert (event.entitled_voters, event.voters_present, event.quorum_met) == (3, 2, True)
    state = meetings.evolve(meetings.INITIAL, event)
    assert state.exists and state.quorum_met and state.held_on == date(2026, 5, 10)


def test_a_general_meeting_of_exactly_half_has_no_quorum_and_one_more_has() -> None:
    half = record(record_meeting(**split(10, 5)), formal=roster(10))
    assert (half.voters_present, half.entitled_voters, half.quorum_met) == (5, 10, False)
    assert record(record_meeting(**split(10, 6)), formal=roster(10)).quorum_met is True


@given(st.integers(min_value=1, max_value=80), st.data())
def test_quorum_is_more_than_half_of_those_entitled(entitled: int, data: st.DataObject) -> None:
    present = data.draw(st.integers(min_value=0, max_value=entitled))
    assert meetings.quorum_met(present, entitled, POLICY) is (2 * present > entitled)


def test_certificate_holders_attend_but_are_not_counted_for_the_quorum() -> None:
    cmd = record_meeting(**split(10, 5), certificate_holders_present=("h-1", "h-2", "h-3"))
    event = record(cmd, formal=roster(10), certificate_holder_ids=frozenset({"h-1", "h-2", "h-3", "h-4"}))
    assert event.certificate_holders_present == ("h-1", "h-2", "h-3")
    assert (event.voters_present, event.entitled_voters, event.quorum_met) == (5, 10, False)


def test_probationary_members_attend_without_being_counted_for_the_quorum() -> None:
    probationary = frozenset({"m-9", "m-10"})
    cmd = record_meeting(present_ids=("m-1", "m-2", "m-3", "m-4", "m-9", "m-10"),
                         absent_ids=("m-5", "m-6", "m-7", "m-8"))
    event = record(cmd, formal=roster(10), probationary_ids=probationary)
    assert (event.voters_present, event.entitled_voters, event.quorum_met) == (4, 8, False)
    cmd = record_meeting(present_ids=("m-1", "m-2", "m-3", "m-4", "m-5"), absent_ids=("m-6", "m-7", "m-8", "m-9",
                                                                                      "m-10"))
    assert record(cmd, formal=roster(10), probationary_ids=probationary).quorum_met is True


def test_a_committee_meeting_needs_more_than_half_of_the_committee() -> None:
    org = with_committee()
    cmd = record_meeting(kind=MeetingKind.COMMITTEE, present_ids=("m-1", "m-2"), absent_ids=("m-3",))
    assert record(cmd, org=org, formal=roster(9)).quorum_met is True
    # Members attending without a seat (列席) do not count.
    cmd = record_meeting(kind=MeetingKind.COMMITTEE, present_ids=("m-1", "m-4", "m-5"), absent_ids=("m-2", "m-3"))
    event = record(cmd, org=org, formal=roster(9))
    assert (event.voters_present, event.entitled_voters, event.quorum_met) == (1, 3, False)


def test_a_committee_meeting_needs_a_committee() -> None:
    with pytest.raises(DomainError, match="has no committee"):
        record(record_meeting(kind=MeetingKind.COMMITTEE))


def test_the_minutes_of_a_quorum_meeting_list_every_member_as_present_or_absent() -> None:
    with pytest.raises(DomainError, match="missing: m-3, m-4"):
        record(record_meeting(absent_ids=()), formal=roster(4))


def test_a_theme_day_has_no_quorum_and_lists_only_who_came() -> None:
    event = record(record_meeting(kind=MeetingKind.THEME_DAY, absent_ids=()), formal=roster(9))
    assert event.quorum_met is None and event.voters_present == 2


@pytest.mark.parametrize(("overrides", "context", "message"), [
    ({"present_ids": ("m-1", "x-9")}, {}, "present_ids must be members of b-1; not: x-9 — record activity"),
    ({"certificate_holders_present": ("h-9",)}, {"certificate_holder_ids": frozenset({"h-1"})},
     "must hold a certificate at b-1; not: h-9"),
    ({"absent_ids": ("m-2", "m-3")}, {}, "present and absent at once: m-2"),
    ({"present_ids": ("m-1", "m-1")}, {}, "distinct"),
    ({"minutes_ref": " "}, {}, "minutes_ref"),
    ({"held_on": date(2026, 11, 25)}, {}, "in the future"),
    ({"held_on": date(2026, 2, 28)}, {}, "before b-1 was established"),
    ({"kind": MeetingKind.PARTY_LECTURE, "lecturer_id": " "}, {}, "names its lecturer"),
])
def test_a_meeting_with_inconsistent_attendance_or_details_is_refused(
    overrides: dict[str, Any], context: dict[str, Any], message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        record(record_meeting(**overrides), **context)


def test_a_party_lecture_records_whether_the_secretary_gave_it() -> None:
    lecture = record_meeting(kind=MeetingKind.PARTY_LECTURE, absent_ids=(), lecturer_id="m-1")
    assert record(lecture, org=with_committee()).lecturer_is_secretary
    guest = record_meeting(kind=MeetingKind.PARTY_LECTURE, absent_ids=(), lecturer_id="county-school")
    assert not record(guest, org=with_committee()).lecturer_is_secretary


def test_a_meeting_is_recorded_once() -> None:
    state = meetings.evolve(meetings.INITIAL, record())
    with pytest.raises(AlreadyExists, match="mtg-1 was already recorded"):
        meetings.decide(state, record_meeting(), organisation=an_established_branch(), formal_member_ids=roster(3))


def test_a_secretary_records_meetings_of_their_own_branch_and_its_party_groups_only() -> None:
    other = Actor(subject="x", role=Role.BRANCH_SECRETARY, org_id="b-2")
    with pytest.raises(Forbidden, match="cannot record meetings of b-1"):
        record(record_meeting(actor=other))
    group = Organisation(exists=True, org_id="grp-1", parent_id="b-1")
    assert record(record_meeting(org_id="grp-1", actor=SECRETARY), org=group)


def test_a_meeting_of_an_unknown_organisation_is_refused() -> None:
    with pytest.raises(NotFound, match="b-2 does not exist"):
        record(record_meeting(org_id="b-2"))


# --- Yearly compliance (B5, D4) ----------------------------------------------------------------------


def line(report: tuple[meetings.RequirementCompliance, ...], requirement: Requirement
         ) -> meetings.RequirementCompliance:
    (found,) = [r for r in report if r.requirement is requirement]
    return found


def test_general_meetings_are_due_quarterly() -> None:
    held = [(MeetingKind.GENERAL_MEETING, date(2026, 2, 10)), (MeetingKind.GENERAL_MEETING, date(2026, 7, 1))]
    row = line(meeting_compliance(held, 2026, date(2026, 10, 1)), Requirement.GENERAL_MEETING)
    assert (row.per_year, row.expected_to_date, row.held, row.periods_covered) == (4, 3, 2, 2)
    assert [p.label for p in row.overdue] == ["2026-Q2"] and not row.compliant


def test_a_month_is_not_overdue_on_its_last_day_but_is_the_day_after() -> None:
    held = [(MeetingKind.THEME_DAY, date(2026, 1, 15))]
    on_last_day = line(meeting_compliance(held, 2026, date(2026, 2, 28)), Requirement.THEME_DAY)
    assert (on_last_day.expected_to_date, on_last_day.overdue) == (1, ())
    day_after = line(meeting_compliance(held, 2026, date(2026, 3, 1)), Requirement.THEME_DAY)
    assert [p.label for p in day_after.overdue] == ["2026-02"]


def test_two_meetings_in_one_quarter_do_not_cover_another() -> None:
    held = [(MeetingKind.GENERAL_MEETING, date(2026, 1, 5)), (MeetingKind.GENERAL_MEETING, date(2026, 3, 5))]
    row = line(meeting_compliance(held, 2026, date(2026, 7, 1)), Requirement.GENERAL_MEETING)
    assert (row.held, row.periods_covered, [p.label for p in row.overdue]) == (2, 1, ["2026-Q2"])


def test_meetings_of_other_years_or_after_the_report_date_are_not_counted() -> None:
    held = [(MeetingKind.ORGANISATIONAL_LIFE_MEETING, date(2025, 12, 20)),
            (MeetingKind.ORGANISATIONAL_LIFE_MEETING, date(2027, 1, 10))]
    row = line(meeting_compliance(held, 2026, date(2027, 1, 1)), Requirement.ORGANISATIONAL_LIFE_MEETING)
    assert (row.held, [p.label for p in row.overdue]) == (0, ["2026"])
    held.append((MeetingKind.ORGANISATIONAL_LIFE_MEETING, date(2026, 12, 28)))
    assert line(meeting_compliance(held, 2026, date(2027, 1, 1)), Requirement.ORGANISATIONAL_LIFE_MEETING).compliant


def test_committee_and_party_group_lines_appear_only_where_they_exist() -> None:
    plain = {r.requirement for r in meeting_compliance([], 2026, date(2026, 12, 31))}
    assert Requirement.COMMITTEE not in plain and Requirement.PARTY_GROUP not in plain
    full = meeting_compliance([], 2026, date(2026, 12, 31), has_committee=True, has_party_groups=True)
    assert line(full, Requirement.COMMITTEE).expected_to_date == 11
    assert line(full, Requirement.PARTY_GROUP).per_year == 12


def test_only_the_secretarys_lectures_count_for_the_secretary_lecture() -> None:
    held: list[HeldMeeting | tuple[MeetingKind, date]] = [(MeetingKind.PARTY_LECTURE, date(2026, 3, 1))]
    assert line(meeting_compliance(held, 2026, date(2027, 1, 1)), Requirement.SECRETARY_LECTURE).overdue
    held.append(HeldMeeting(MeetingKind.PARTY_LECTURE, date(2026, 9, 1), by_secretary=True))
    assert line(meeting_compliance(held, 2026, date(2027, 1, 1)), Requirement.SECRETARY_LECTURE).compliant


def test_lectures_for_ordinary_members_are_checked_only_when_the_county_sets_a_frequency() -> None:
    held = [(MeetingKind.PARTY_LECTURE, date(2026, 3, 1))]
    assert Requirement.MEMBER_LECTURE not in {r.requirement for r in meeting_compliance(held, 2026,
                                                                                          date(2027, 1, 1))}
    twice = OrganisationPolicy(version="local", effective_from=date(2000, 1, 1), member_lectures_per_year=2)
    row = line(meeting_compliance(held, 2026, date(2027, 1, 1), twice), Requirement.MEMBER_LECTURE)
    assert [p.label for p in row.overdue] == ["2026-H2"]


def test_a_frequency_that_does_not_divide_the_year_is_refused() -> None:
    with pytest.raises(ValueError, match="member_lectures_per_year"):
        OrganisationPolicy(version="bad", effective_from=date(2000, 1, 1), member_lectures_per_year=5)


# --- Training hours (B5) ---------------------------------------------------------------------------


MEMBER_ORGS = frozenset({"b-1"})


def trained(state: training.Training, **overrides: Any) -> training.Training:
    (event,) = training.decide(state, record_training(**overrides), member_org_ids=MEMBER_ORGS)
    return training.evolve(state, event)


def test_training_hours_add_up_per_member_and_year() -> None:
    state = trained(trained(training.INITIAL), record_id="tr-2", hours=Decimal("23.5"))
    assert (state.member_id, state.year, state.total_hours) == ("m-1", 2026, Decimal("31.5"))


@pytest.mark.parametrize(("total", "leader", "met", "shortfall"), [
    ("31.5", False, False, "0.5"), ("32", False, True, "0"), ("55.5", True, False, "0.5"), ("56", True, True, "0"),
])
def test_members_need_32_hours_and_secretaries_and_committee_members_56(
    total: str, leader: bool, met: bool, shortfall: str
) -> None:
    check = training.training_check(Decimal(total), 2026, leader=leader)
    assert (check.met, check.shortfall) == (met, Decimal(shortfall))
    assert check.policy_version == POLICY.version


def test_secretaries_deputies_and_committee_members_are_held_to_the_leaders_hours() -> None:
    org = with_committee()
    assert training.leads(org, "m-1") and training.leads(org, "m-3") and not training.leads(org, "m-4")


def test_the_yearly_total_counts_each_record_once_for_that_member_and_year() -> None:
    def rec(record_id: str, member: str, year: int, hours: str) -> TrainingRecorded:
        return TrainingRecorded(member_id=member, org_id="b-1", year=year, record_id=record_id, course="c",
                                hours=Decimal(hours), trained_on=date(year, 1, 1), actor="a")
    records = [rec("a", "m-1", 2026, "10"), rec("a", "m-1", 2026, "10"), rec("b", "m-1", 2025, "7"),
               rec("c", "m-2", 2026, "5"), rec("d", "m-1", 2026, "2.5")]
    assert training.yearly_total(records, "m-1", 2026) == Decimal("12.5")


def test_a_training_record_is_counted_once() -> None:
    with pytest.raises(StateConflict, match="tr-1 is already recorded"):
        trained(trained(training.INITIAL))


def test_training_of_another_year_goes_to_that_years_record() -> None:
    with pytest.raises(DomainError, match="use the record of m-1 for 2027"):
        trained(trained(training.INITIAL), record_id="tr-2", trained_on=date(2027, 1, 2),
                today=date(2027, 1, 2))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"hours": Decimal(0)}, "positive"), ({"hours": Decimal("-1")}, "positive"),
    ({"hours": Decimal("NaN")}, "positive"),
    ({"course": " "}, "course"), ({"trained_on": date(2026, 11, 25)}, "in the future"),
    ({"org_id": "b-2", "actor": Actor(subject="a", role=Role.COUNTY_ADMIN)}, "does not belong to b-2"),
])
def test_a_training_record_needs_positive_hours_a_course_a_past_date_and_the_members_organisation(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        trained(training.INITIAL, **overrides)


# --- Wire format ----------------------------------------------------------------------------------


def test_meeting_and_training_events_survive_the_wire_codec() -> None:
    registry: EventRegistry[Any] = EventRegistry(source="/test", events=meeting_events.EVENTS)
    (trained_event,) = training.decide(training.INITIAL, record_training(hours=Decimal("1.5")),
                                       member_org_ids=MEMBER_ORGS)
    for event in (record(), trained_event):
        assert registry.decode(registry.wire_name(event), registry.encode(event)) == event


# --- Correcting a meeting's day (a new event naming the one it corrects, never an edit) -----------------


def correct(**overrides: Any) -> CorrectMeetingDate:
    cmd = CorrectMeetingDate(actor=SECRETARY, today=date(2026, 11, 24), meeting_id="mtg-1", corrects_version=1,
                             held_on=date(2026, 5, 3), reason="the minutes say 3 May; entered as 10 May")
    return replace(cmd, **overrides)


def a_recorded_meeting() -> meetings.Meeting:
    return meetings.evolve(meetings.INITIAL, record())


def corrected(state: meetings.Meeting, cmd: CorrectMeetingDate | None = None, *,
              formal: frozenset[str] | None = None) -> MeetingDateCorrected:
    (event,) = meetings.decide(state, cmd or correct(), organisation=an_established_branch(),
                               formal_member_ids=roster(3) if formal is None else formal, corrects_event_id="ev-1")
    assert isinstance(event, MeetingDateCorrected)
    return event


def test_a_meetings_day_is_corrected_by_an_event_naming_the_event_it_corrects_and_why() -> None:
    event = corrected(a_recorded_meeting())
    assert (event.corrects_version, event.corrects_event_id) == (1, "ev-1")
    assert (event.held_on_was, event.held_on) == (date(2026, 5, 10), date(2026, 5, 3))
    assert event.reason == "the minutes say 3 May; entered as 10 May"
    state = meetings.evolve(a_recorded_meeting(), event)
    assert (state.held_on, state.version, state.dated_by_version) == (date(2026, 5, 3), 2, 2)
    assert state.recorded is not None and state.recorded.held_on == date(2026, 5, 10), "the record is never edited"


def test_a_correction_counts_the_attendance_against_the_roster_of_the_corrected_day() -> None:
    # On 3 May only m-1 and m-2 were members: m-3 is no longer expected, the two present make a quorum of 2.
    with pytest.raises(DomainError, match="absent_ids must be members"):
        corrected(a_recorded_meeting(), formal=frozenset({"m-1", "m-2"}))
    # On the corrected day m-4 was a member too, and the minutes do not list them: refused, as a record would be.
    with pytest.raises(DomainError, match="missing: m-4"):
        corrected(a_recorded_meeting(), formal=roster(4))


def test_a_correction_must_name_the_version_that_last_set_the_day() -> None:
    state = meetings.evolve(a_recorded_meeting(), corrected(a_recorded_meeting()))
    with pytest.raises(StateConflict, match="last set at version 2"):
        corrected(state, correct(held_on=date(2026, 5, 4)))
    again = corrected(state, correct(corrects_version=2, held_on=date(2026, 5, 4)))
    assert (again.held_on_was, again.held_on) == (date(2026, 5, 3), date(2026, 5, 4))


def test_a_correction_needs_a_reason_and_a_different_day() -> None:
    with pytest.raises(DomainError, match="reason must not be empty"):
        corrected(a_recorded_meeting(), correct(reason="  "))
    with pytest.raises(DomainError, match="nothing to correct"):
        corrected(a_recorded_meeting(), correct(held_on=date(2026, 5, 10)))


def test_a_meeting_not_recorded_cannot_be_corrected() -> None:
    with pytest.raises(NotFound, match="not recorded"):
        corrected(meetings.INITIAL)


def test_a_correction_to_a_day_before_the_branch_was_established_is_refused() -> None:
    with pytest.raises(DomainError, match="before b-1 was established"):
        corrected(a_recorded_meeting(), correct(held_on=date(2020, 1, 1)))


def test_a_corrections_reason_is_also_why_its_day_is_entered_late() -> None:
    assert correct().backdating_reason == correct().reason
