"""Commands on mobile members (流动党员): inflow, reports, activity certificates, contact and return (B4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from services.membership.contract.events.common import Contact, DuesCategory, MemberStatus
from services.membership.contract.events.mobility import ContactChannel
from services.membership.contract.events.transfers import ExternalOrganisation
from services.pure.identity import Actor


@dataclass(frozen=True, kw_only=True)
class RegisterInflow:
    """Register a member of an organisation elsewhere who arrives at a host organisation here with a certificate."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("arrived_on",)
    member_id: str
    name: str
    national_id: str
    status: MemberStatus
    dues_category: DuesCategory
    contact: Contact
    home_org: ExternalOrganisation
    host_org_id: str
    arrived_on: date
    certificate_number: str
    certificate_issued_on: date
    certificate_valid_until: date
    certificate_issuer: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReportToHost:
    """A member away reports to the host organisation at the destination."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("reported_on",)
    member_id: str
    host_org_id: str
    reported_on: date
    #: The activity certificate the member presented (B4: the host verifies it): required when the host records.
    certificate_number: str | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class IssueActivityCertificate:
    """Issue and register an activity certificate (流动党员活动证); only the township or county committee issues."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("issued_on",)
    member_id: str
    certificate_number: str
    issued_on: date
    reason: str
    destination: str
    period_months: int
    #: A stay of 6 months or more at a fixed place calls for a transfer; say here why one is not yet possible.
    transfer_impossible: bool = False
    transfer_impossible_reason: str | None = None
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReviewCertificate:
    """Record the (annual) review of an activity certificate."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("reviewed_on",)
    member_id: str
    certificate_number: str
    reviewed_on: date
    note: str = ""
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReturnCertificate:
    """The member hands the certificate back for inspection (without registering a return home)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("returned_on",)
    member_id: str
    certificate_number: str
    returned_on: date
    findings: str = ""
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RegisterReturn:
    """A member away comes back; a certificate they hold is handed back and inspected (or recorded as not returned)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("returned_on",)
    member_id: str
    returned_on: date
    certificate_returned: bool = True
    findings: str = ""
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordContact:
    """Record a contact with a member (the basis of the lost-contact rules)."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("contacted_on",)
    member_id: str
    contacted_on: date
    channel: ContactChannel
    note: str = ""
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReportToHomeOrganisation:
    """A mobile member's report to the home (outflow) organisation, due at least once a year."""

    actor: Actor
    today: date
    #: The fields dated by the day the fact took effect (checked against the day it is recorded).
    effective_dates: ClassVar[tuple[str, ...]] = ("reported_on",)
    member_id: str
    reported_on: date
    channel: ContactChannel
    summary: str
    #: Why the fact is entered after the day it took effect: required then (effective-dates.md).
    backdating_reason: str | None = None
