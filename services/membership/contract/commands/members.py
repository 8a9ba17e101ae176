"""Commands on members: registration, outflow and standing (suspension, removal, restoration, death)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from services.membership.contract.events.common import Contact, DuesCategory, MemberStatus
from services.membership.contract.events.members import RemovalGround
from services.pure.identity import Actor


@dataclass(frozen=True, kw_only=True)
class RegisterMember:
    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("member_since",)
    member_id: str
    name: str
    national_id: str
    formal_org_id: str
    status: MemberStatus
    dues_category: DuesCategory
    contact: Contact
    joined_on: date | None = None
    #: The day the member's relationship came to this organisation, when known: the directory counts them
    #: there (and as full members, if full) from it. Omitted: a member of the register taken over, counted
    #: there on every earlier day.
    member_since: date | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RegisterOutflow:
    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("left_on",)
    member_id: str
    destination: str
    employer: str
    contact: Contact
    left_on: date
    expected_months: int
    fixed_place: bool = True
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class SuspendMembership:
    """Suspend (停止党籍) a member unreachable for 6 months or more; the township or county committee approves."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("suspended_on",)
    member_id: str
    suspended_on: date
    reason: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RemoveAsLapsed:
    """Record the branch meeting's decision to remove a member (自行脱党 or 除名); the higher committee approves."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("decided_on",)
    member_id: str
    decided_on: date
    ground: RemovalGround
    reason: str
    #: Where the meeting's minutes are kept.
    minutes_ref: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ApproveRemoval:
    """The township or county committee approves the branch's removal decision: the member is removed."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("approved_on",)
    member_id: str
    approved_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RejectRemoval:
    """The township or county committee refuses the branch's removal decision."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("rejected_on",)
    member_id: str
    rejected_on: date
    reason: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RestoreMembership:
    """Restore a suspended member once contact is regained; the township or county committee approves."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("restored_on",)
    member_id: str
    restored_on: date
    reason: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordDeath:
    """Record a member's death."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("died_on",)
    member_id: str
    died_on: date
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ErasePersonalData:
    """Forget a person (PIPL): their data key is destroyed, so their sealed personal data can never be read again."""

    actor: Actor
    today: date
    member_id: str
    #: Why (the request or decision it answers); recorded, and never itself personal data.
    reason: str
