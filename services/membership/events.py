"""Membership events: each one dataclass, one stable wire name; schemas are generated from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.kernel.events import EventRegistry


class FoundingBasis(StrEnum):
    """The six founding bases of an outstation branch in the county decision."""

    ENTERPRISE = "enterprise"
    LOCALITY = "locality"
    INDUSTRY = "industry"
    VILLAGE = "village"
    TOWNSHIP = "township"
    NATIVE_PRIVATE_ENTERPRISE = "native_private_enterprise"


class BuildMode(StrEnum):
    STANDALONE = "standalone"
    JOINT = "joint"
    AFFILIATED = "affiliated"


class MemberStatus(StrEnum):
    PROBATIONARY = "probationary"
    FULL = "full"
    SUSPENDED = "suspended"
    REMOVED = "removed"


class DuesCategory(StrEnum):
    """Dues categories of the 2008 national scale (B2)."""

    WAGE_EARNER = "wage_earner"
    ANNUAL_SALARY = "annual_salary"
    SELF_EMPLOYED = "self_employed"
    RETIREE = "retiree"
    FARMER = "farmer"
    STUDENT = "student"
    UNEMPLOYED = "unemployed"
    RELIEF = "relief"


class Instrument(StrEnum):
    """How a member away from home keeps their organisational relationship (B3, B4)."""

    ACTIVITY_CERTIFICATE = "activity_certificate"
    TRANSFER = "transfer"


@dataclass(frozen=True, kw_only=True)
class Contact:
    phone: str
    address: str | None = None
    wechat: str | None = None


@dataclass(frozen=True, kw_only=True)
class BranchEstablished:
    branch_id: str
    name: str
    founding_basis: FoundingBasis
    build_mode: BuildMode
    home_org_id: str
    host_guidance_org: str
    destination: str
    industry: str
    established_on: date
    covered_units: tuple[str, ...] = ()


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


MembershipEvent = BranchEstablished | MemberRegistered | OutflowRegistered

REGISTRY: EventRegistry[MembershipEvent] = EventRegistry(
    source="/golden-bridge/membership",
    events={
        "gb.membership.branch_established.v1": BranchEstablished,
        "gb.membership.member_registered.v1": MemberRegistered,
        "gb.membership.outflow_registered.v1": OutflowRegistered,
    },
)
