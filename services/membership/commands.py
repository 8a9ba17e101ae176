"""Membership commands: imperative, with ids, time and the acting person passed in from outside."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.kernel.identity import Actor
from services.membership.events import BuildMode, Contact, DuesCategory, FoundingBasis, MemberStatus


@dataclass(frozen=True, kw_only=True)
class EstablishBranch:
    actor: Actor
    today: date
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
class RegisterMember:
    actor: Actor
    today: date
    member_id: str
    name: str
    national_id: str
    formal_org_id: str
    status: MemberStatus
    dues_category: DuesCategory
    contact: Contact
    joined_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class RegisterOutflow:
    actor: Actor
    today: date
    member_id: str
    destination: str
    employer: str
    contact: Contact
    left_on: date
    expected_months: int
    fixed_place: bool = True
