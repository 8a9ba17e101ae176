"""Events of outstation branches and other Party organisations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.membership.events.common import BuildMode, FoundingBasis


@dataclass(frozen=True, kw_only=True)
class BranchEstablished:
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


EVENTS: dict[str, type] = {
    "gb.membership.branch_established.v1": BranchEstablished,
}
