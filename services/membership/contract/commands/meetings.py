"""Commands of organisational life (三會一課): recording meetings and training hours."""

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
