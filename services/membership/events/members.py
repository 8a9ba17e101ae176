"""Events of members: registration and mobility."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.membership.events.common import Contact, DuesCategory, Instrument, MemberStatus


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


EVENTS: dict[str, type] = {
    "gb.membership.member_registered.v1": MemberRegistered,
    "gb.membership.outflow_registered.v1": OutflowRegistered,
}
