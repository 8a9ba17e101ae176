"""Commands on members: registration and mobility."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.kernel.identity import Actor
from services.membership.events.common import Contact, DuesCategory, MemberStatus


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
