"""Events of members: registration, outflow and standing (suspension, removal, restoration, death)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.membership.contract.events.common import Contact, DuesCategory, Instrument, MemberStatus


@dataclass(frozen=True, kw_only=True)
class MemberRegistered:
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
class OutflowRegistered:
    member_id: str
    destination: str
    employer: str
    contact: Contact
    left_on: date
    expected_months: int
    fixed_place: bool
    instrument_advised: Instrument
    policy_version: str


class RemovalGround(StrEnum):
    """Why a branch meeting decides to remove a member (B3, B4)."""

    #: B4: suspended for lost contact and still unreachable 2 years later → 自行脫黨.
    LOST_CONTACT = "lost_contact"
    #: B3: more than 6 months not transferred without a valid reason → 自行脫黨.
    LATE_TRANSFER = "late_transfer"
    #: B3: more than 6 months without organisational life or dues, without a valid reason → 自行脫黨.
    NO_DUES_OR_ORGANISATIONAL_LIFE = "no_dues_or_organisational_life"
    #: 除名: struck off by decision of the branch (grounds stated in ``reason``).
    STRUCK_OFF = "struck_off"


@dataclass(frozen=True, kw_only=True)
class MembershipSuspended:
    """停止黨籍: approved by the higher committee after ≥6 months without contact."""

    member_id: str
    suspended_on: date
    last_contact_on: date
    previous_status: MemberStatus
    reason: str
    actor: str
    approving_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class RemovalDecided:
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
class RemovalRejected:
    """The higher committee refuses the branch's removal decision; the member stays as they were."""

    member_id: str
    rejected_on: date
    decided_on: date
    reason: str
    actor: str
    approving_org_id: str


@dataclass(frozen=True, kw_only=True)
class MembershipRemoved:
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
class MembershipRestored:
    """A suspended member regained: the higher committee restores the standing held before."""

    member_id: str
    restored_on: date
    status: MemberStatus
    reason: str
    actor: str
    approving_org_id: str


@dataclass(frozen=True, kw_only=True)
class MemberDied:
    member_id: str
    died_on: date
    actor: str
    recording_org_id: str
    #: A transfer in progress is closed with the death (its letter becomes void).
    transfer_closed: str | None = None


EVENTS: dict[str, type] = {
    "gb.membership.member_registered.v1": MemberRegistered,
    "gb.membership.outflow_registered.v1": OutflowRegistered,
    "gb.membership.membership_suspended.v1": MembershipSuspended,
    "gb.membership.removal_decided.v1": RemovalDecided,
    "gb.membership.removal_rejected.v1": RemovalRejected,
    "gb.membership.membership_removed.v1": MembershipRemoved,
    "gb.membership.membership_restored.v1": MembershipRestored,
    "gb.membership.member_died.v1": MemberDied,
}

#: The member stream's registration, outflow and standing events (for the service-wide union).
MemberEvent = (
    MemberRegistered | OutflowRegistered | MembershipSuspended | RemovalDecided | RemovalRejected | MembershipRemoved
    | MembershipRestored | MemberDied
)
