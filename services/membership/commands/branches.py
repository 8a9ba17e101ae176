"""Commands on Party organisations and outstation branches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.kernel.identity import Actor
from services.membership.events.common import BuildMode, FoundingBasis


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
