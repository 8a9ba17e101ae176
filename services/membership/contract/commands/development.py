"""Commands on member development cases (发展党员): one case per person, keyed by the person's id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar

from services.membership.contract.events.common import Contact
from services.membership.contract.events.development import (
    ApplicationRoute,
    ConversionOutcome,
    DecidingBody,
    Nomination,
)
from services.pure.identity import Actor


@dataclass(frozen=True, kw_only=True)
class SubmitApplication:
    """Apply to join the Party (step 1): the applicant must be at least 18 on the day of application."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("applied_on",)
    person_id: str
    name: str
    birth_date: date
    contact: Contact
    org_id: str
    route: ApplicationRoute
    applied_on: date
    is_mobile: bool = False
    national_id: str | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class InterviewApplicant:
    """Record the organisation's talk with the applicant (step 2), due within one month of application."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("interviewed_on",)
    person_id: str
    interviewer: str
    interviewed_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class DesignateActivist:
    """Designate the applicant an activist (step 3) and file it with the higher committee (step 4)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("designated_on",)
    person_id: str
    nomination: Nomination
    decided_by: DecidingBody
    designated_on: date
    filed_with_org_id: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class AssignCultivationContacts:
    """Assign one or two full members as cultivation contacts (step 5); replaces earlier contacts."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("assigned_on",)
    person_id: str
    contact_member_ids: tuple[str, ...]
    assigned_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordAssessment:
    """Record the six-monthly assessment of an activist or development target (step 6)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("assessed_on",)
    person_id: str
    assessed_on: date
    summary: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class TransferActivistFile:
    """Pass the case to another organisation when the person moves; cultivation time keeps counting."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("transferred_on",)
    person_id: str
    to_org_id: str
    transferred_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class DesignateDevelopmentTarget:
    """Designate the activist a development target (step 7) after a year of cultivation; file it (step 8)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("designated_on",)
    person_id: str
    decided_by: DecidingBody
    designated_on: date
    filed_with_org_id: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class AssignIntroducers:
    """Fix the two full-member introducers of a development target (step 9)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("assigned_on",)
    person_id: str
    introducer_member_ids: tuple[str, ...]
    assigned_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class CompletePoliticalReview:
    """Record the conclusion of the political review (step 10); mobile persons need hukou and residence orgs."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("reviewed_on",)
    person_id: str
    reviewed_on: date
    qualified: bool
    consulted_orgs: tuple[str, ...] = ()
    hukou_place_org: str | None = None
    residence_org: str | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordTraining:
    """Record concentrated training of a development target (step 11), in hours and days."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("completed_on",)
    person_id: str
    course: str
    completed_on: date
    hours: Decimal
    days: int = 0
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class PreReview:
    """Pre-review by the base committee with approval authority (step 13)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("reviewed_on",)
    person_id: str
    reviewed_on: date
    approved: bool
    remarks: str = ""
    #: When the target is expected to leave their unit, if known.
    leaving_on: date | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class HoldAdmissionVote:
    """Record the branch general meeting's vote on one candidate (step 15).

    ``yes``/``no``/``abstain`` include the written opinions of absent members; ``present`` counts
    voting members at the meeting only.
    """

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("held_on",)
    person_id: str
    held_on: date
    present: int
    yes: int
    no: int
    abstain: int
    written_opinions: int = 0
    candidates_on_ballot: int = 1
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ApproveAdmission:
    """Approve the admission as probationary member (step 17), after the higher committee's talk (step 16)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("approved_on", "talked_on")
    person_id: str
    talked_on: date
    approved_on: date
    #: Needed when approving more than the normal period after the vote.
    special_reason: str | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class TakeOath:
    """Record the probationary member's oath (step 20)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("sworn_on",)
    person_id: str
    sworn_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ApplyForConversion:
    """The probationary member's written application for conversion at the end of probation (step 22)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("applied_on",)
    person_id: str
    applied_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class HoldConversionVote:
    """Record the branch general meeting's vote to convert, extend probation or cancel (step 23)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("held_on",)
    person_id: str
    held_on: date
    resolution: ConversionOutcome
    present: int
    yes: int
    no: int
    abstain: int
    written_opinions: int = 0
    extension_months: int | None = None
    candidates_on_ballot: int = 1
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ApproveConversion:
    """The higher committee approves the conversion meeting's resolution (step 24)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("approved_on",)
    person_id: str
    outcome: ConversionOutcome
    approved_on: date
    extension_months: int | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class CancelCase:
    """Close a case before admission: the person withdraws, or the organisation ends it with a reason."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("cancelled_on",)
    person_id: str
    cancelled_on: date
    reason: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


DevelopmentCommand = (
    SubmitApplication | InterviewApplicant | DesignateActivist | AssignCultivationContacts | RecordAssessment
    | TransferActivistFile | DesignateDevelopmentTarget | AssignIntroducers | CompletePoliticalReview
    | RecordTraining | PreReview | HoldAdmissionVote | ApproveAdmission | TakeOath | ApplyForConversion
    | HoldConversionVote | ApproveConversion | CancelCase
)
