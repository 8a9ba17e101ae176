"""Events of organisational life (三会一课): meetings with their attendance, and members' training hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.pure.dates import RecordedLate


class MeetingKind(StrEnum):
    """B5: the meetings of 三会一课 and the other regular forms of organisational life."""

    GENERAL_MEETING = "general_meeting"
    COMMITTEE = "committee"
    PARTY_GROUP = "party_group"
    THEME_DAY = "theme_day"
    ORGANISATIONAL_LIFE_MEETING = "organisational_life_meeting"
    DEMOCRATIC_APPRAISAL = "democratic_appraisal"
    PARTY_LECTURE = "party_lecture"
    TALK = "talk"


@dataclass(frozen=True, kw_only=True)
class MeetingRecorded(RecordedLate):
    """A meeting was held; the minutes are kept elsewhere (``minutes_ref``)."""

    meeting_id: str
    org_id: str
    kind: MeetingKind
    held_on: date
    #: Members of the organisation present (formal members, voting or not).
    present_ids: tuple[str, ...]
    #: Activity-certificate holders present: they take part but never vote here (D3).
    certificate_holders_present: tuple[str, ...]
    absent_ids: tuple[str, ...]
    minutes_ref: str
    #: Those entitled to vote (应到) and those of them present (实到); counted for every meeting.
    entitled_voters: int
    voters_present: int
    #: B5: committee and general meetings need more than half of those entitled; None where no quorum applies.
    quorum_met: bool | None
    actor: str
    policy_version: str
    topic: str = ""
    lecturer_id: str | None = None
    lecturer_is_secretary: bool = False
    #: Held by a host organisation (``org_id``): those present are the members it hosts or of the branches it
    #: guides, attending their organisational life there without a vote (added later; older events: False).
    host_meeting: bool = False


@dataclass(frozen=True, kw_only=True)
class TrainingRecorded(RecordedLate):
    """B5: hours of training a member completed; the yearly total is checked against 32/56 hours."""

    member_id: str
    org_id: str
    year: int
    record_id: str
    course: str
    hours: Decimal
    trained_on: date
    actor: str


@dataclass(frozen=True, kw_only=True)
class MeetingDateCorrected(RecordedLate):
    """A correction, not an edit: the meeting recorded at ``corrects_version`` of this stream (event
    ``corrects_event_id``) was held on ``held_on``, not ``held_on_was``. Attendance is counted again against
    the roster of ``held_on``: the counts here replace those of the corrected event."""

    meeting_id: str
    org_id: str
    corrects_version: int
    corrects_event_id: str
    held_on_was: date
    held_on: date
    entitled_voters: int
    voters_present: int
    quorum_met: bool | None
    reason: str
    actor: str
    policy_version: str


EVENTS: dict[str, type] = {
    "gb.membership.meeting_recorded.v1": MeetingRecorded,
    "gb.membership.meeting_date_corrected.v1": MeetingDateCorrected,
    "gb.membership.training_recorded.v1": TrainingRecorded,
}
