"""Who is acting: roles and scopes shared by the gateway and the services that check them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    COUNTY_ADMIN = "county_admin"
    TOWNSHIP_COMMITTEE = "township_committee"
    BRANCH_SECRETARY = "branch_secretary"
    HOST_ORGANISATION = "host_organisation"
    MEMBER = "member"


@dataclass(frozen=True, kw_only=True)
class Actor:
    """The authenticated caller. ``org_id`` scopes secretaries and committees to one organisation."""

    subject: str
    role: Role
    org_id: str | None = None

    @property
    def label(self) -> str:
        scope = f"@{self.org_id}" if self.org_id else ""
        return f"{self.role.value}:{self.subject}{scope}"

    def headers(self) -> dict[str, str]:
        h = {"X-GB-Actor": self.subject, "X-GB-Role": self.role.value}
        if self.org_id:
            h["X-GB-Org"] = self.org_id
        return h

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Actor | None:
        subject, role = headers.get("x-gb-actor"), headers.get("x-gb-role")
        if not subject or not role:
            return None
        return cls(subject=subject, role=Role(role), org_id=headers.get("x-gb-org") or None)

    def may_see_national_id(self) -> bool:
        return self.role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
