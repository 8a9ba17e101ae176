"""Events of members: registration, outflow and standing (suspension, removal, restoration, death)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from services.membership.contract.events.common import Contact, DuesCategory, Instrument, MemberStatus
from services.membership.contract.events.personal import SealedPersonalData, mask_national_id, masked_contact
from services.pure.dates import RecordedLate


@dataclass(frozen=True, kw_only=True)
class MemberRegisteredV1(RecordedLate):
    """Registration as recorded until the v2 type, personal data in clear. Stored events of this type are
    read as ``MemberRegistered`` (masked, without a sealed envelope): see ``upcast_member_registered``."""

    member_id: str
    name: str
    national_id: str
    formal_org_id: str
    status: MemberStatus
    dues_category: DuesCategory
    contact: Contact
    joined_on: date | None = None
    #: The day the member was registered: the first known contact (older events lack it).
    registered_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class MemberRegistered(RecordedLate):
    """A member registered: the national ID number and the contact travel sealed with the person's key."""

    member_id: str
    name: str
    #: Region and check digit only (mask_national_id); the number itself is in ``personal``.
    national_id_masked: str
    formal_org_id: str
    status: MemberStatus
    dues_category: DuesCategory
    #: The phone's last four digits only; the full contact is in ``personal``.
    contact_masked: Contact
    #: National ID number and contact, sealed with the person's own key; None only on events upcast from v1.
    personal: SealedPersonalData | None
    joined_on: date | None = None
    #: The day the member was registered: the first known contact.
    registered_on: date | None = None
    #: The day the member's relationship came to ``formal_org_id``, when known (None: the register taken
    #: over — there on every earlier day); the member directory's history starts here.
    member_since: date | None = None

    # The v1 field names, for readers written against v1: they give the masked values.
    @property
    def national_id(self) -> str:
        return self.national_id_masked

    @property
    def contact(self) -> Contact:
        return self.contact_masked


@dataclass(frozen=True, kw_only=True)
class OutflowRegisteredV1(RecordedLate):
    """An outflow as recorded until the v2 type, its contact in clear (read as ``OutflowRegistered``)."""

    member_id: str
    destination: str
    employer: str
    contact: Contact
    left_on: date
    expected_months: int
    fixed_place: bool
    instrument_advised: Instrument
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class OutflowRegistered(RecordedLate):
    """A member went out to work; the contact where they can be reached travels sealed."""

    member_id: str
    destination: str
    employer: str
    #: The phone's last four digits only; the full contact is in ``personal``.
    contact_masked: Contact
    left_on: date
    expected_months: int
    fixed_place: bool
    instrument_advised: Instrument
    policy_version: str
    #: The contact, sealed with the person's own key; None only on events upcast from v1.
    personal: SealedPersonalData | None

    @property
    def contact(self) -> Contact:
        return self.contact_masked


@dataclass(frozen=True, kw_only=True)
class PersonalDataErased(RecordedLate):
    """A person was forgotten (PIPL): their data key is destroyed in the transaction that records this.

    It carries no personal data. Their earlier events stay, sealed and unreadable, so every hash chain
    still verifies; views show the person as erased.
    """

    member_id: str
    erased_on: date
    #: The data key destroyed (the ``key_id`` of the person's sealed envelopes); None when nothing of theirs
    #: was ever sealed (recorded before the v2 events: their v1 events keep it in clear).
    key_id: str | None
    reason: str
    actor: str


def upcast_member_registered(old: MemberRegisteredV1) -> MemberRegistered:
    """Old registrations as v2: readers get masked values; the clear ones stay only in the stored v1 event."""
    return MemberRegistered(
        member_id=old.member_id, name=old.name, national_id_masked=mask_national_id(old.national_id),
        formal_org_id=old.formal_org_id, status=old.status, dues_category=old.dues_category,
        contact_masked=masked_contact(old.contact), personal=None, joined_on=old.joined_on,
        registered_on=old.registered_on,
    )


def upcast_outflow_registered(old: OutflowRegisteredV1) -> OutflowRegistered:
    return OutflowRegistered(
        member_id=old.member_id, destination=old.destination, employer=old.employer,
        contact_masked=masked_contact(old.contact), left_on=old.left_on, expected_months=old.expected_months,
        fixed_place=old.fixed_place, instrument_advised=old.instrument_advised, policy_version=old.policy_version,
        personal=None,
    )


class RemovalGround(StrEnum):
    """Why a branch meeting decides to remove a member (B3, B4)."""

    #: B4: suspended for lost contact and still unreachable 2 years later → 自行脱党.
    LOST_CONTACT = "lost_contact"
    #: B3: more than 6 months not transferred without a valid reason → 自行脱党.
    LATE_TRANSFER = "late_transfer"
    #: B3: more than 6 months without organisational life or dues, without a valid reason → 自行脱党.
    NO_DUES_OR_ORGANISATIONAL_LIFE = "no_dues_or_organisational_life"
    #: 除名: struck off by decision of the branch (grounds stated in ``reason``).
    STRUCK_OFF = "struck_off"


@dataclass(frozen=True, kw_only=True)
class MembershipSuspended(RecordedLate):
    """停止党籍: approved by the higher committee after ≥6 months without contact."""

    member_id: str
    suspended_on: date
    last_contact_on: date
    previous_status: MemberStatus
    reason: str
    actor: str
    approving_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class RemovalDecided(RecordedLate):
    """Step 1 of a removal: the branch meeting's decision, awaiting the higher committee's approval."""

    member_id: str
    decided_on: date
    ground: RemovalGround
    reason: str
    minutes_ref: str
    actor: str
    deciding_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class RemovalRejected(RecordedLate):
    """The higher committee refuses the branch's removal decision; the member stays as they were."""

    member_id: str
    rejected_on: date
    decided_on: date
    reason: str
    actor: str
    approving_org_id: str


@dataclass(frozen=True, kw_only=True)
class MembershipRemoved(RecordedLate):
    """Step 2 of a removal: the higher committee approves; the member's status becomes removed."""

    member_id: str
    removed_on: date
    ground: RemovalGround
    decided_on: date
    deciding_org_id: str
    actor: str
    approving_org_id: str
    #: A transfer in progress is closed with the removal (its letter becomes void).
    transfer_closed: str | None = None


@dataclass(frozen=True, kw_only=True)
class MembershipRestored(RecordedLate):
    """A suspended member regained: the higher committee restores the standing held before."""

    member_id: str
    restored_on: date
    status: MemberStatus
    reason: str
    actor: str
    approving_org_id: str


@dataclass(frozen=True, kw_only=True)
class MemberDied(RecordedLate):
    member_id: str
    died_on: date
    actor: str
    recording_org_id: str
    #: A transfer in progress is closed with the death (its letter becomes void).
    transfer_closed: str | None = None


EVENTS: dict[str, type] = {
    "gb.membership.member_registered.v1": MemberRegisteredV1,
    "gb.membership.member_registered.v2": MemberRegistered,
    "gb.membership.outflow_registered.v1": OutflowRegisteredV1,
    "gb.membership.outflow_registered.v2": OutflowRegistered,
    "gb.membership.membership_suspended.v1": MembershipSuspended,
    "gb.membership.removal_decided.v1": RemovalDecided,
    "gb.membership.removal_rejected.v1": RemovalRejected,
    "gb.membership.membership_removed.v1": MembershipRemoved,
    "gb.membership.membership_restored.v1": MembershipRestored,
    "gb.membership.member_died.v1": MemberDied,
    "gb.membership.personal_data_erased.v1": PersonalDataErased,
}

#: Stored v1 events are read as their v2 type (the registry applies these when it decodes).
UPCASTERS: dict[type, Callable[[Any], Any]] = {
    MemberRegisteredV1: upcast_member_registered,
    OutflowRegisteredV1: upcast_outflow_registered,
}

#: The member stream's registration, outflow and standing events (for the service-wide union).
MemberEvent = (
    MemberRegistered | OutflowRegistered | MembershipSuspended | RemovalDecided | RemovalRejected | MembershipRemoved
    | MembershipRestored | MemberDied | PersonalDataErased
)
