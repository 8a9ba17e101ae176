"""Events of mobile members (流动党员): inflow, reports, activity certificates, contact and return (B4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from services.membership.contract.events.common import Contact, DuesCategory, MemberStatus
from services.membership.contract.events.personal import SealedPersonalData, mask_national_id, masked_contact
from services.membership.contract.events.transfers import ExternalOrganisation
from services.pure.dates import RecordedLate


class ContactChannel(StrEnum):
    PHONE = "phone"
    WECHAT = "wechat"
    VISIT = "visit"
    LETTER = "letter"
    ONLINE = "online"
    IN_PERSON = "in_person"


@dataclass(frozen=True, kw_only=True)
class InflowRegisteredV1(RecordedLate):
    """An inflow as recorded until the v2 type, personal data in clear (read as ``InflowRegistered``).

    A member whose formal organisation is elsewhere arrives at a host organisation here and reports.

    The formal organisation stays outside (``home_org``); the host places them in organisational life
    but they do not vote there. The host verifies the certificate and never refuses (B4).
    """

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
    #: The certificate was already out of date on arrival: recorded, never a reason to refuse.
    certificate_expired: bool
    actor: str


@dataclass(frozen=True, kw_only=True)
class InflowRegistered(RecordedLate):
    """A member whose formal organisation is elsewhere arrives at a host organisation here and reports.

    The formal organisation stays outside (``home_org``); the host places them in organisational life
    but they do not vote there. The host verifies the certificate and never refuses (B4). The national
    ID number and the contact travel sealed with the person's key.
    """

    member_id: str
    name: str
    #: Region and check digit only; the number itself is in ``personal``.
    national_id_masked: str
    status: MemberStatus
    dues_category: DuesCategory
    #: The phone's last four digits only; the full contact is in ``personal``.
    contact_masked: Contact
    home_org: ExternalOrganisation
    host_org_id: str
    arrived_on: date
    certificate_number: str
    certificate_issued_on: date
    certificate_valid_until: date
    certificate_issuer: str
    #: The certificate was already out of date on arrival: recorded, never a reason to refuse.
    certificate_expired: bool
    actor: str
    #: National ID number and contact, sealed with the person's own key; None only on events upcast from v1.
    personal: SealedPersonalData | None

    # The v1 field names, for readers written against v1: they give the masked values.
    @property
    def national_id(self) -> str:
        return self.national_id_masked

    @property
    def contact(self) -> Contact:
        return self.contact_masked


def upcast_inflow_registered(old: InflowRegisteredV1) -> InflowRegistered:
    """Old inflows as v2: masked values; the clear ones stay only in the stored v1 event."""
    return InflowRegistered(
        member_id=old.member_id, name=old.name, national_id_masked=mask_national_id(old.national_id),
        status=old.status, dues_category=old.dues_category, contact_masked=masked_contact(old.contact),
        home_org=old.home_org, host_org_id=old.host_org_id, arrived_on=old.arrived_on,
        certificate_number=old.certificate_number, certificate_issued_on=old.certificate_issued_on,
        certificate_valid_until=old.certificate_valid_until, certificate_issuer=old.certificate_issuer,
        certificate_expired=old.certificate_expired, actor=old.actor, personal=None,
    )


@dataclass(frozen=True, kw_only=True)
class ReportedToHost(RecordedLate):
    """A member away reports to the host organisation (member duty, B4)."""

    member_id: str
    host_org_id: str
    reported_on: date
    actor: str


@dataclass(frozen=True, kw_only=True)
class CertificateIssued(RecordedLate):
    """流动党员活动证 issued and registered by the base (township) committee (B4)."""

    member_id: str
    certificate_number: str
    issued_on: date
    valid_until: date
    period_months: int
    reason: str
    destination: str
    #: Longer than the certificate maximum, or a long stay at a fixed place, because a transfer is not yet possible.
    transfer_impossible: bool
    transfer_impossible_reason: str | None
    #: ≥3 members go to this destination: a branch, temporary branch or Party group should be set up (B4).
    branch_advised: bool
    actor: str
    issuing_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class CertificateReviewed(RecordedLate):
    """The annual review of a certificate (a local rule, switched by policy)."""

    member_id: str
    certificate_number: str
    reviewed_on: date
    note: str
    next_review_due: date | None
    actor: str
    reviewing_org_id: str
    policy_version: str


@dataclass(frozen=True, kw_only=True)
class CertificateInspected(RecordedLate):
    """The certificate handed back and inspected (or recorded as not returned); it is closed."""

    member_id: str
    certificate_number: str
    inspected_on: date
    returned: bool
    findings: str
    actor: str
    inspecting_org_id: str


@dataclass(frozen=True, kw_only=True)
class MemberReturned(RecordedLate):
    """A member away comes back home; the outflow ends."""

    member_id: str
    returned_on: date
    actor: str


@dataclass(frozen=True, kw_only=True)
class ContactRecorded(RecordedLate):
    member_id: str
    contacted_on: date
    channel: ContactChannel
    note: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class ReportedToHomeOrganisation(RecordedLate):
    """A mobile member's report to the outflow (home) organisation, due ≥1 a year (B4)."""

    member_id: str
    reported_on: date
    channel: ContactChannel
    summary: str
    actor: str


EVENTS: dict[str, type] = {
    "gb.membership.inflow_registered.v1": InflowRegisteredV1,
    "gb.membership.inflow_registered.v2": InflowRegistered,
    "gb.membership.reported_to_host.v1": ReportedToHost,
    "gb.membership.certificate_issued.v1": CertificateIssued,
    "gb.membership.certificate_reviewed.v1": CertificateReviewed,
    "gb.membership.certificate_inspected.v1": CertificateInspected,
    "gb.membership.member_returned.v1": MemberReturned,
    "gb.membership.contact_recorded.v1": ContactRecorded,
    "gb.membership.reported_to_home_organisation.v1": ReportedToHomeOrganisation,
}

#: Stored v1 events are read as their v2 type.
UPCASTERS: dict[type, Callable[[Any], Any]] = {InflowRegisteredV1: upcast_inflow_registered}

#: The member stream's mobility events (for the service-wide union).
MobilityEvent = (
    InflowRegistered | ReportedToHost | CertificateIssued | CertificateReviewed | CertificateInspected | MemberReturned
    | ContactRecorded | ReportedToHomeOrganisation
)
