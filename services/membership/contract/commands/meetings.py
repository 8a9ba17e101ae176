"""Commands of organisational life (三会一课): recording meetings (and correcting their day) and training hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar

from services.membership.contract.events.meetings import MeetingKind
from services.pure.identity import Actor


@dataclass(frozen=True, kw_only=True)
class RecordMeeting:
    """Record a meeting held by an organisation, with who was there and where the minutes are."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("held_on",)
    meeting_id: str
    org_id: str
    kind: MeetingKind
    held_on: date
    present_ids: tuple[str, ...]
    #: Activity-certificate holders who attended (they do not vote here).
    certificate_holders_present: tuple[str, ...] = ()
    absent_ids: tuple[str, ...] = ()
    minutes_ref: str
    topic: str = ""
    #: Who gave a Party lecture (required for party_lecture).
    lecturer_id: str | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordTraining:
    """Record hours of training a member completed (one record per course session)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("trained_on",)
    member_id: str
    org_id: str
    record_id: str
    course: str
    hours: Decimal
    trained_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class CorrectMeetingDate:
    """Correct the day a recorded meeting was held. A correction is a new event that names the event it
    corrects (its version on the meeting's stream) and why — the record is never edited. The attendance is
    counted again against the roster of the corrected day."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("held_on",)
    meeting_id: str
    #: The version (on the meeting's stream) of the event whose day is wrong: the meeting's record, or the
    #: last correction of its day. Another version is refused (409): the day was corrected meanwhile.
    corrects_version: int
    #: The day the meeting was really held.
    held_on: date
    #: Why the recorded day was wrong (e.g. "the minutes say 12 March; entered as 21 March").
    reason: str

    @property
    def backdating_reason(self) -> str:
        """A correction's reason is also why its (earlier) day is entered now."""
        return self.reason
