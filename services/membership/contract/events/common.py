"""Vocabulary shared by membership events: categories, statuses and contact details."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
