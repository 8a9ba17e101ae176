"""Who is acting: roles and scopes shared by the gateway and the services that check them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    COUNTY_ADMIN = "county_admin"
    TOWNSHIP_COMMITTEE = "township_committee"
    BRANCH_SECRETARY = "branch_secretary"
    HOST_ORGANISATION = "host_organisation"
    MEMBER = "member"
    #: A partner system (services/partners): ``org_id`` is its partner id; it reaches only its own record.
    PARTNER = "partner"
    #: The county bureaus that act on migrant workers' service cases (services/workers): each reaches only the
    #: cases referred to it. ``org_id`` may name the bureau's office; it widens nothing.
    LABOUR_BUREAU = "labour_bureau"
    CREDIT_COOPERATIVE = "credit_cooperative"
    JUSTICE_BUREAU = "justice_bureau"
    INSURANCE = "insurance"


#: The bureaus: outside the Party tree, they read and write only their own service cases.
BUREAUS: tuple[Role, ...] = (Role.LABOUR_BUREAU, Role.CREDIT_COOPERATIVE, Role.JUSTICE_BUREAU, Role.INSURANCE)


@dataclass(frozen=True, kw_only=True)
class Actor:
    """The authenticated caller. ``org_id`` scopes secretaries and committees to one organisation.

    The gateway learns it from a bearer token; a service, from the gateway's signed credential
    (services/kernel/credential.py) — never from a plain header.
    """

    subject: str
    role: Role
    org_id: str | None = None

    @property
    def label(self) -> str:
        scope = f"@{self.org_id}" if self.org_id else ""
        return f"{self.role.value}:{self.subject}{scope}"

    def may_see_national_id(self) -> bool:
        return self.role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
