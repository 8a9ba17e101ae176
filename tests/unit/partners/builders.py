"""Partners, subscriptions and internal events for the partners unit tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from services.membership.contract.events.branches import BranchEstablished, OrganisationEstablished, OrgKind
from services.membership.contract.events.common import BuildMode, Contact, DuesCategory, FoundingBasis, MemberStatus
from services.membership.contract.events.members import MemberRegistered
from services.partners.contract.events import PartnerScope
from services.partners.contract.values import DeliveryProtocol, PartnerKind, PersonalDataPolicy, SubscriptionState
from services.partners.domain.partners import Partner
from services.partners.domain.subscriptions import Subscription
from services.pure.identity import Actor, Role

COUNTY = Actor(subject="county", role=Role.COUNTY_ADMIN)
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
REGISTERED = "goldenbridge.member.registered.v1"
ORGANISATION = "goldenbridge.organisation.established.v1"


def partner(partner_id: str = "host-ningbo", *, types: tuple[str, ...] = (REGISTERED,),
            organisations: tuple[str, ...] = (), townships: tuple[str, ...] = (),
            policy: PersonalDataPolicy = PersonalDataPolicy.MASKED) -> Partner:
    return Partner(partner_id=partner_id, name="宁波市某区委组织部", kind=PartnerKind.HOST_COMMITTEE, contact="0574-1",
                   scope=PartnerScope(event_types=types, organisations=organisations, townships=townships),
                   personal_data=policy)


def subscription(partner_id: str = "host-ningbo", sid: str = "s-1", *, types: tuple[str, ...] = (),
                 filters: tuple[dict[str, Any], ...] = (), created_at: datetime = T0,
                 state: SubscriptionState = SubscriptionState.ACTIVE,
                 protocol: DeliveryProtocol = DeliveryProtocol.KAFKA) -> Subscription:
    return Subscription(subscription_id=sid, partner_id=partner_id, protocol=protocol, sink="x", types=types,
                        filters=filters, state=state, created_at=created_at)


def township(org_id: str) -> OrganisationEstablished:
    return OrganisationEstablished(org_id=org_id, name=org_id, kind=OrgKind.TOWNSHIP_COMMITTEE, parent_id="county",
                                   approval_authority=True, established_on=date(2020, 1, 1), actor="a",
                                   approving_org_id="county", policy_version="v1")


def branch(branch_id: str, parent: str) -> BranchEstablished:
    return BranchEstablished(branch_id=branch_id, name=branch_id, founding_basis=FoundingBasis.TOWNSHIP,
                             build_mode=BuildMode.STANDALONE, home_org_id=parent, host_guidance_org="h",
                             destination="浙江宁波", industry="制造", established_on=date(2021, 1, 1), parent_id=parent)


def member(member_id: str, org_id: str, name: str = "张三丰") -> MemberRegistered:
    return MemberRegistered(member_id=member_id, name=name, national_id_masked="330203**********1X",
                            formal_org_id=org_id, status=MemberStatus.FULL, dues_category=DuesCategory.WAGE_EARNER,
                            contact_masked=Contact(phone="*******1234"), personal=None,
                            registered_on=date(2026, 3, 1))
