"""The value types secondment events carry: kinds, routes, outcomes, a placement and a post held at home."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class UnitKind(StrEnum):
    """A: the 5 % target counts the staff of township organs (机关) and stations (站所)."""

    ORGAN = "organ"
    STATION = "station"


class Route(StrEnum):
    """A: mostly self-found work (自谋职业为主), organisational posting second."""

    SELF_FOUND = "self_found"
    ORGANISATIONAL = "organisational"


class HostKind(StrEnum):
    ENTERPRISE = "enterprise"
    LOCALITY = "locality"


class ContributionKind(StrEnum):
    """A/issue 5: what a cadre brings back for the county."""

    CAPITAL = "capital"
    PROJECT = "project"
    TALENT = "talent"
    TECHNOLOGY = "technology"
    MARKET_INFORMATION = "market_information"


class CommendationKind(StrEnum):
    """A: "为**引进资金、项目、人才等,作出重大贡献的,给予表彰奖励" — the contributions that can make a major
    contribution: capital (yuan), projects (landed or introduced, a count) and talent (people introduced)."""

    CAPITAL = "capital"
    PROJECT = "project"
    TALENT = "talent"


class EndOutcome(StrEnum):
    """A: at term end the cadre returns to the original post or stays out on 停薪留职."""

    RETURN_TO_POST = "return_to_post"
    UNPAID_LEAVE = "unpaid_leave"


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where the cadre works while away; optionally also serving in an outstation branch (A)."""

    host_kind: HostKind
    host_name: str
    locality: str
    outstation_branch_id: str | None = None
    role_at_host: str | None = None


@dataclass(frozen=True, kw_only=True)
class PostSnapshot:
    """A: post (职务), rank (职级), pay and administrative and Party relations stay unchanged while away."""

    unit_id: str
    post: str
    rank: str
    pay_grade: str
    administrative_relation_org_id: str
    party_relation_org_id: str
