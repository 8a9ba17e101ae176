"""Every outward type, with the internal events it is made from (membership, investment and the migrant-worker
services' cases, v1).

Published are the events that name the organisations they are about, so a partner's scope can be
decided from the event alone: the organisation tree, members' arrivals and reports to a host,
transfers, admission and conversion, removal and death, dues paid, investment leads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from services.investment.contract.events import LeadRegistered
from services.membership.contract.events.branches import BranchEstablished, OrganisationEstablished
from services.membership.contract.events.development import Converted, ProbationaryAdmitted
from services.membership.contract.events.dues import DuesPaid
from services.membership.contract.events.members import MemberDied, MemberRegistered, MembershipRemoved
from services.membership.contract.events.mobility import InflowRegistered, ReportedToHost
from services.membership.contract.events.transfers import (
    TransferCancelled,
    TransferLetterIssued,
    TransferReceived,
    TransferRequested,
)
from services.partners.contract.outward import OutwardType, Personal, mask_name
from services.partners.contract.outward.service_cases import SERVICE_CASE

Name = Annotated[str | None, Personal(mask_name)]
#: Already masked at the source (region and check digit, the phone's last four): nulled by ``none``.
Masked = Annotated[str | None, Personal()]


def _members(e: Any) -> str:
    return f"member/{e.member_id}"


@dataclass(frozen=True, kw_only=True)
class OrganisationV1:
    organisation_id: str
    name: str
    kind: str
    parent_id: str | None
    established_on: date
    #: Where an outstation branch works (empty for other organisations).
    destination: str = ""


@dataclass(frozen=True, kw_only=True)
class MemberRegisteredV1:
    member_id: str
    name: Name
    national_id_masked: Masked
    organisation_id: str
    status: str
    registered_on: date | None


@dataclass(frozen=True, kw_only=True)
class MemberArrivedV1:
    """A mobile member from elsewhere registered with a host organisation of the county."""

    member_id: str
    name: Name
    host_organisation_id: str
    home_organisation: str
    arrived_on: date


@dataclass(frozen=True, kw_only=True)
class ReportedToHostV1:
    member_id: str
    host_organisation_id: str
    reported_on: date


@dataclass(frozen=True, kw_only=True)
class TransferV1:
    """One step of a transfer of organisational relationship: ``step`` says which."""

    member_id: str
    transfer_id: str
    step: str
    on: date
    from_organisation_id: str | None
    to_organisation_id: str | None
    #: The receiving organisation's name when it is outside the county.
    to_external_name: str | None = None
    letter_number: str | None = None
    valid_until: date | None = None


@dataclass(frozen=True, kw_only=True)
class MemberStatusV1:
    """Admitted as probationary, converted to full, removed or died: ``change`` says which."""

    member_id: str
    change: str
    organisation_id: str
    on: date


@dataclass(frozen=True, kw_only=True)
class DuesPaidV1:
    member_id: str
    payment_id: str
    organisation_id: str
    receiving_organisation_id: str
    paid_on: date
    amount: Decimal
    months: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class LeadRegisteredV1:
    lead_id: str
    branch_id: str
    township_id: str
    #: A company's name or a person's (a homecoming entrepreneur, often a member of the county): personal, since
    #: nothing tells the two apart. Null under ``none``, its first character under ``masked``.
    investor: Name
    project: str
    sector: str
    kind: str
    promised_amount: Decimal
    homecoming: bool
    registered_on: date


def _transfer(step: str) -> Any:
    def build(e: Any) -> TransferV1:
        external = getattr(e, "to_external", None)
        on = next(getattr(e, f) for f in ("requested_on", "issued_on", "received_on", "cancelled_on") if hasattr(e, f))
        return TransferV1(
            member_id=e.member_id, transfer_id=e.transfer_id, step=step, on=on,
            from_organisation_id=getattr(e, "from_org_id", None),
            to_organisation_id=getattr(e, "to_org_id", None) if external is None else None,
            to_external_name=external.name if external is not None else None,
            letter_number=getattr(e, "letter_number", None) or getattr(e, "void_letter_number", None),
            valid_until=getattr(e, "valid_until", None),
        )
    return build


def _transfer_places(e: TransferV1) -> tuple[str, ...]:
    return tuple(o for o in (e.from_organisation_id, e.to_organisation_id) if o)


_DAY = date(2026, 3, 2)

ORGANISATION: OutwardType[Any, Any] = OutwardType(
    type="goldenbridge.organisation.established.v1",
    summary="A Party organisation joined the county's tree (an outstation branch names where it works).",
    schema=OrganisationV1,
    sources=(
        (BranchEstablished, lambda e: OrganisationV1(
            organisation_id=e.branch_id, name=e.name, kind=e.kind.value, parent_id=e.parent_id or e.home_org_id,
            established_on=e.established_on, destination=e.destination)),
        (OrganisationEstablished, lambda e: OrganisationV1(
            organisation_id=e.org_id, name=e.name, kind=e.kind.value, parent_id=e.parent_id,
            established_on=e.established_on)),
    ),
    subject=lambda o: f"organisation/{o.organisation_id}",
    places=lambda o: (o.organisation_id,),
    example=OrganisationV1(organisation_id="br-ningbo-1", name="驻宁波流动党员党支部", kind="branch",
                           parent_id="tw-shuikou", established_on=_DAY, destination="浙江宁波"),
)

MEMBER_REGISTERED: OutwardType[Any, Any] = OutwardType(
    type="goldenbridge.member.registered.v1",
    summary="A member's record was registered with their formal organisation.",
    schema=MemberRegisteredV1,
    sources=((MemberRegistered, lambda e: MemberRegisteredV1(
        member_id=e.member_id, name=e.name, national_id_masked=e.national_id_masked,
        organisation_id=e.formal_org_id, status=e.status.value, registered_on=e.registered_on)),),
    subject=_members,
    places=lambda o: (o.organisation_id,),
    example=MemberRegisteredV1(member_id="m-1", name="张*", national_id_masked="330203**********1X",
                               organisation_id="br-ningbo-1", status="full", registered_on=_DAY),
)

MEMBER_ARRIVED: OutwardType[Any, Any] = OutwardType(
    type="goldenbridge.member.arrived.v1",
    summary="A mobile member from elsewhere registered with a host organisation of the county.",
    schema=MemberArrivedV1,
    sources=((InflowRegistered, lambda e: MemberArrivedV1(
        member_id=e.member_id, name=e.name, host_organisation_id=e.host_org_id, home_organisation=e.home_org.name,
        arrived_on=e.arrived_on)),),
    subject=_members,
    places=lambda o: (o.host_organisation_id,),
    example=MemberArrivedV1(member_id="m-2", name="李*", host_organisation_id="br-ningbo-1",
                            home_organisation="某县某镇党委", arrived_on=_DAY),
)

REPORTED_TO_HOST: OutwardType[Any, Any] = OutwardType(
    type="goldenbridge.member.reported_to_host.v1",
    summary="A mobile member reported to the host organisation where they now live and work.",
    schema=ReportedToHostV1,
    sources=((ReportedToHost, lambda e: ReportedToHostV1(
        member_id=e.member_id, host_organisation_id=e.host_org_id, reported_on=e.reported_on)),),
    subject=_members,
    places=lambda o: (o.host_organisation_id,),
    example=ReportedToHostV1(member_id="m-1", host_organisation_id="br-ningbo-1", reported_on=_DAY),
)

TRANSFER: OutwardType[Any, Any] = OutwardType(
    type="goldenbridge.transfer.step.v1",
    summary="A transfer of organisational relationship was requested, its letter issued, received or cancelled.",
    schema=TransferV1,
    sources=(
        (TransferRequested, _transfer("requested")),
        (TransferLetterIssued, _transfer("letter_issued")),
        (TransferReceived, _transfer("received")),
        (TransferCancelled, lambda e: TransferV1(
            member_id=e.member_id, transfer_id=e.transfer_id, step="cancelled", on=e.cancelled_on,
            from_organisation_id=e.cancelling_org_id, to_organisation_id=None,
            letter_number=e.void_letter_number)),
    ),
    subject=_members,
    places=_transfer_places,
    example=TransferV1(member_id="m-1", transfer_id="t-1", step="letter_issued", on=_DAY,
                       from_organisation_id="br-ningbo-1", to_organisation_id="tw-shuikou",
                       letter_number="GB-2026-0001", valid_until=date(2026, 4, 1)),
)

MEMBER_STATUS: OutwardType[Any, Any] = OutwardType(
    type="goldenbridge.member.status_changed.v1",
    summary="A member was admitted as probationary, converted to full membership, removed, or died.",
    schema=MemberStatusV1,
    sources=(
        (ProbationaryAdmitted, lambda e: MemberStatusV1(
            member_id=e.person_id, change="admitted", organisation_id=e.org_id, on=e.approved_on)),
        (Converted, lambda e: MemberStatusV1(
            member_id=e.person_id, change="converted", organisation_id=e.org_id, on=e.approved_on)),
        (MembershipRemoved, lambda e: MemberStatusV1(
            member_id=e.member_id, change="removed", organisation_id=e.deciding_org_id, on=e.removed_on)),
        (MemberDied, lambda e: MemberStatusV1(
            member_id=e.member_id, change="died", organisation_id=e.recording_org_id, on=e.died_on)),
    ),
    subject=_members,
    places=lambda o: (o.organisation_id,),
    example=MemberStatusV1(member_id="m-1", change="converted", organisation_id="br-ningbo-1", on=_DAY),
)

DUES_PAID: OutwardType[Any, Any] = OutwardType(
    type="goldenbridge.dues.paid.v1",
    summary="Dues were paid for a member: the months they cover and the organisation that took the money.",
    schema=DuesPaidV1,
    sources=((DuesPaid, lambda e: DuesPaidV1(
        member_id=e.member_id, payment_id=e.payment_id, organisation_id=e.org_id,
        receiving_organisation_id=e.receiving_org_id, paid_on=e.paid_on, amount=e.amount,
        months=tuple(a.month for a in e.allocations))),),
    subject=_members,
    places=lambda o: (o.organisation_id, o.receiving_organisation_id),
    example=DuesPaidV1(member_id="m-1", payment_id="p-1", organisation_id="br-ningbo-1",
                       receiving_organisation_id="br-ningbo-1", paid_on=_DAY, amount=Decimal("12.00"),
                       months=("2026-01", "2026-02")),
)

LEAD_REGISTERED: OutwardType[Any, Any] = OutwardType(
    type="goldenbridge.lead.registered.v1",
    summary="An investment lead was registered for the county (first referral wins).",
    schema=LeadRegisteredV1,
    sources=((LeadRegistered, lambda e: LeadRegisteredV1(
        lead_id=e.lead_id, branch_id=e.branch_id, township_id=e.township_id, investor=e.investor,
        project=e.project, sector=e.sector, kind=e.kind.value, promised_amount=e.promised_amount,
        homecoming=e.homecoming, registered_on=e.registered_on)),),
    subject=lambda o: f"lead/{o.lead_id}",
    places=lambda o: (o.branch_id, o.township_id),
    example=LeadRegisteredV1(lead_id="l-1", branch_id="br-ningbo-1", township_id="tw-shuikou",
                             investor="宁波某实业有限公司", project="农产品加工厂", sector="manufacturing",
                             kind="capital", promised_amount=Decimal("5000000"), homecoming=True,
                             registered_on=_DAY),
)

TYPES: tuple[OutwardType[Any, Any], ...] = (
    ORGANISATION, MEMBER_REGISTERED, MEMBER_ARRIVED, REPORTED_TO_HOST, TRANSFER, MEMBER_STATUS, DUES_PAID,
    LEAD_REGISTERED, SERVICE_CASE,
)

#: Every outward type by its name.
CATALOGUE: dict[str, OutwardType[Any, Any]] = {t.type: t for t in TYPES}
_BY_INTERNAL: dict[type[Any], tuple[OutwardType[Any, Any], Any]] = {
    source: (t, build) for t in TYPES for source, build in t.sources
}


def outward(event: Any) -> tuple[OutwardType[Any, Any], Any] | None:
    """The outward type and event an internal event becomes; None when partners never see it."""
    found = _BY_INTERNAL.get(type(event))
    if found is None:
        return None
    kind, build = found
    return kind, build(event)
