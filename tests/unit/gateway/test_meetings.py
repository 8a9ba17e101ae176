"""The meetings read model: each meeting held, with attendance counted."""

from __future__ import annotations

from services.gateway.readmodels import meetings
from services.membership.contract.events.meetings import MeetingRecorded, TrainingRecorded
from tests.unit.gateway.builders import Q, envelope, event, row, target


def test_a_recorded_meeting_counts_who_was_present_and_whether_the_secretary_lectured() -> None:
    ops = meetings.apply(Q, envelope(), event(MeetingRecorded, meeting_id="mt-1", org_id="b-1",
                                              present_ids=("a", "b", "c"), certificate_holders_present=("c",),
                                              lecturer_is_secretary=True))
    inserted = row(ops[0])
    assert target(ops[0]) == "meetings_view"
    assert (inserted["present"], inserted["certificate_holders_present"], inserted["by_secretary"]) == (3, 1, True)


def test_training_is_not_a_meeting() -> None:
    assert meetings.apply(Q, envelope(), event(TrainingRecorded)) == []


def test_a_date_correction_moves_the_meeting_and_replaces_its_counts() -> None:
    from datetime import date

    from services.membership.contract.events.meetings import MeetingDateCorrected

    [(sql, args)] = meetings.apply(Q, envelope(), event(MeetingDateCorrected, meeting_id="mt-1",
                                                        held_on=date(2025, 4, 16), entitled_voters=3,
                                                        voters_present=2, quorum_met=True))
    assert sql.startswith(f"UPDATE {Q}.meetings_view SET held_on")
    assert args[:5] == ("mt-1", date(2025, 4, 16), 3, 2, True)
