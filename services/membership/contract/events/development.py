"""Events of member development cases (发展党员): one case per person, applicant → full member (B6)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from services.membership.contract.events.common import Contact
from services.membership.contract.events.personal import SealedPersonalData, mask_national_id, masked_contact
from services.pure.dates import RecordedLate


class ApplicationRoute(StrEnum):
    """Where a person applied (细则 art. 6, B6)."""

    WORK_OR_STUDY_UNIT = "work_or_study_unit"
    RESIDENCE = "residence"
    #: The following three are open to mobile persons only.
    UNIT_LOCATION = "unit_location"
    SUPERVISING_DEPARTMENT = "supervising_department"
    MOBILE_MEMBER_ORGANISATION = "mobile_member_organisation"


class Nomination(StrEnum):
    """Who recommended an applicant as activist (B6): members, or 推优 by the Youth League or a mass organisation."""

    MEMBERS = "members"
    YOUTH_LEAGUE = "youth_league"
    MASS_ORGANISATION = "mass_organisation"


class DecidingBody(StrEnum):
    """The branch committee decides; a branch without a committee decides in its general meeting (B6)."""

    BRANCH_COMMITTEE = "branch_committee"
    GENERAL_MEETING = "general_meeting"


class ConversionOutcome(StrEnum):
    """What a conversion meeting resolves at the end of probation (B6)."""

    CONVERT = "convert"
    EXTEND = "extend"
    CANCEL = "cancel"


@dataclass(frozen=True, kw_only=True)
class ApplicationSubmittedV1(RecordedLate):
    """An application as recorded until the v2 type, personal data in clear (read as ``ApplicationSubmitted``)."""

    person_id: str
    name: str
    birth_date: date
    national_id: str | None
    contact: Contact
    org_id: str
    route: ApplicationRoute
    is_mobile: bool
    applied_on: date
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class ApplicationSubmitted(RecordedLate):
    """An application to join; the national ID number (if given) and the contact travel sealed."""

    person_id: str
    name: str
    birth_date: date
    #: Region and check digit only (None when no number was given); the number itself is in ``personal``.
    national_id_masked: str | None
    #: The phone's last four digits only; the full contact is in ``personal``.
    contact_masked: Contact
    org_id: str
    route: ApplicationRoute
    is_mobile: bool
    applied_on: date
    policy_version: str
    #: National ID number and contact, sealed with the person's own key; None only on events upcast from v1.
    personal: SealedPersonalData | None

    # The v1 field names, for readers written against v1: they give the masked values.
    @property
    def national_id(self) -> str | None:
        return self.national_id_masked

    @property
    def contact(self) -> Contact:
        return self.contact_masked


def upcast_application_submitted(old: ApplicationSubmittedV1) -> ApplicationSubmitted:
    """Old applications as v2: masked values; the clear ones stay only in the stored v1 event."""
    return ApplicationSubmitted(
        person_id=old.person_id, name=old.name, birth_date=old.birth_date,
        national_id_masked=mask_national_id(old.national_id) if old.national_id else None,
        contact_masked=masked_contact(old.contact), org_id=old.org_id, route=old.route, is_mobile=old.is_mobile,
        applied_on=old.applied_on, policy_version=old.policy_version, personal=None,
    )


@dataclass(frozen=True, kw_only=True)
class ApplicantInterviewed(RecordedLate):
    person_id: str
    interviewer: str
    interviewed_on: date
    due_on: date
    late: bool
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class ActivistDesignated(RecordedLate):
    person_id: str
    org_id: str
    nomination: Nomination
    decided_by: DecidingBody
    designated_on: date
    filed_with_org_id: str
    actor: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class CultivationContactsAssigned(RecordedLate):
    person_id: str
    contact_member_ids: tuple[str, ...]
    assigned_on: date
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class ActivistAssessed(RecordedLate):
    person_id: str
    assessed_on: date
    summary: str
    due_on: date
    late: bool
    assessed_by: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class ActivistFileTransferred(RecordedLate):
    """The case moved to another organisation; cultivation time keeps counting (细则 art. 12)."""

    person_id: str
    from_org_id: str
    to_org_id: str
    transferred_on: date
    cultivation_since: date | None
    actor: str


@dataclass(frozen=True, kw_only=True)
class DevelopmentTargetDesignated(RecordedLate):
    person_id: str
    org_id: str
    designated_on: date
    cultivation_since: date
    cultivation_days: int
    decided_by: DecidingBody
    filed_with_org_id: str
    actor: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class IntroducersAssigned(RecordedLate):
    person_id: str
    introducer_member_ids: tuple[str, ...]
    assigned_on: date
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class PoliticalReviewCompleted(RecordedLate):
    """Only the conclusion and who was consulted; the findings stay in the restricted file."""

    person_id: str
    reviewed_on: date
    qualified: bool
    consulted_orgs: tuple[str, ...]
    actor: str


@dataclass(frozen=True, kw_only=True)
class DevelopmentTrainingRecorded(RecordedLate):
    person_id: str
    course: str
    completed_on: date
    hours: Decimal
    days: int


@dataclass(frozen=True, kw_only=True)
class PreReviewed(RecordedLate):
    """The base committee with approval authority pre-reviewed the target (细则 art. 19)."""

    person_id: str
    reviewed_on: date
    approved: bool
    remarks: str
    leaving_on: date | None
    leaving_soon: bool
    training_hours: Decimal
    training_days: int
    actor: str
    approving_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class AdmissionVoteHeld(RecordedLate):
    """A branch general meeting voted on one candidate (细则 arts. 20–21)."""

    person_id: str
    org_id: str
    held_on: date
    entitled: int
    present: int
    written_opinions: int
    yes: int
    no: int
    abstain: int
    passed: bool
    actor: str


@dataclass(frozen=True, kw_only=True)
class ProbationaryAdmitted(RecordedLate):
    """The higher committee approved the admission; probation runs one year from the vote (art. 32)."""

    person_id: str
    org_id: str
    vote_on: date
    talked_on: date
    approved_on: date
    approval_due_on: date
    late: bool
    special_reason: str | None
    probation_start: date
    probation_end: date
    actor: str
    approving_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class OathTaken(RecordedLate):
    person_id: str
    sworn_on: date


@dataclass(frozen=True, kw_only=True)
class ConversionApplied(RecordedLate):
    person_id: str
    applied_on: date
    probation_end: date
    meeting_due_on: date
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class ConversionVoteHeld(RecordedLate):
    person_id: str
    org_id: str
    held_on: date
    resolution: ConversionOutcome
    extension_months: int | None
    entitled: int
    present: int
    written_opinions: int
    yes: int
    no: int
    abstain: int
    passed: bool
    meeting_due_on: date
    late: bool
    actor: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class Converted(RecordedLate):
    """A probationary member became a full member; Party age counts from the end of probation (B6)."""

    person_id: str
    org_id: str
    vote_on: date
    approved_on: date
    late: bool
    party_age_start: date
    actor: str
    approving_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class ProbationExtended(RecordedLate):
    person_id: str
    org_id: str
    vote_on: date
    approved_on: date
    late: bool
    months: int
    previous_end: date
    new_end: date
    actor: str
    approving_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class ProbationCancelled(RecordedLate):
    person_id: str
    org_id: str
    vote_on: date
    approved_on: date
    late: bool
    actor: str
    approving_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class DevelopmentCaseCancelled(RecordedLate):
    """The case closed before admission: withdrawn by the person, or ended by the organisation."""

    person_id: str
    org_id: str
    cancelled_on: date
    reason: str
    withdrawn: bool
    actor: str


EVENTS: dict[str, type] = {
    "gb.membership.application_submitted.v1": ApplicationSubmittedV1,
    "gb.membership.application_submitted.v2": ApplicationSubmitted,
    "gb.membership.applicant_interviewed.v1": ApplicantInterviewed,
    "gb.membership.activist_designated.v1": ActivistDesignated,
    "gb.membership.cultivation_contacts_assigned.v1": CultivationContactsAssigned,
    "gb.membership.activist_assessed.v1": ActivistAssessed,
    "gb.membership.activist_file_transferred.v1": ActivistFileTransferred,
    "gb.membership.development_target_designated.v1": DevelopmentTargetDesignated,
    "gb.membership.introducers_assigned.v1": IntroducersAssigned,
    "gb.membership.political_review_completed.v1": PoliticalReviewCompleted,
    "gb.membership.development_training_recorded.v1": DevelopmentTrainingRecorded,
    "gb.membership.pre_reviewed.v1": PreReviewed,
    "gb.membership.admission_vote_held.v1": AdmissionVoteHeld,
    "gb.membership.probationary_admitted.v1": ProbationaryAdmitted,
    "gb.membership.oath_taken.v1": OathTaken,
    "gb.membership.conversion_applied.v1": ConversionApplied,
    "gb.membership.conversion_vote_held.v1": ConversionVoteHeld,
    "gb.membership.converted.v1": Converted,
    "gb.membership.probation_extended.v1": ProbationExtended,
    "gb.membership.probation_cancelled.v1": ProbationCancelled,
    "gb.membership.development_case_cancelled.v1": DevelopmentCaseCancelled,
}

#: Stored v1 events are read as their v2 type.
UPCASTERS: dict[type, Callable[[Any], Any]] = {ApplicationSubmittedV1: upcast_application_submitted}

DevelopmentEvent = (
    ApplicationSubmitted | ApplicantInterviewed | ActivistDesignated | CultivationContactsAssigned
    | ActivistAssessed | ActivistFileTransferred | DevelopmentTargetDesignated | IntroducersAssigned
    | PoliticalReviewCompleted | DevelopmentTrainingRecorded | PreReviewed | AdmissionVoteHeld | ProbationaryAdmitted
    | OathTaken | ConversionApplied | ConversionVoteHeld | Converted | ProbationExtended | ProbationCancelled
    | DevelopmentCaseCancelled
)
