"""Golden Bridge target compliance (A, D4, D5): townships' outstation branches, branches' activists and admissions.

A pure report over simple facts the read side collects; nothing here loads anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.membership.policy.organisation import OrganisationPolicy, organisation_policy_on


class TargetStatus(StrEnum):
    MET = "met"
    #: Not met yet, but the deadline has not passed on ``as_of``.
    OPEN = "open"
    MISSED = "missed"


@dataclass(frozen=True, kw_only=True)
class OutstationBranchFacts:
    branch_id: str
    township_id: str
    established_on: date
    #: Dates of activist designations (入党积极分子) and approved admissions of the branch, any year.
    activists_designated: tuple[date, ...] = ()
    admissions_approved: tuple[date, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TownshipTarget:
    township_id: str
    deadline: date
    required: int
    #: Branches that count: established on or before the deadline (and ``as_of``).
    branches_by_deadline: tuple[str, ...]
    status: TargetStatus


@dataclass(frozen=True, kw_only=True)
class BranchTarget:
    branch_id: str
    township_id: str
    activists: int
    activists_required: int
    admissions: int
    admissions_required: int
    status: TargetStatus


@dataclass(frozen=True, kw_only=True)
class TargetReport:
    year: int
    as_of: date
    townships: tuple[TownshipTarget, ...]
    branches: tuple[BranchTarget, ...]
    policy_version: str


def targets(
    branches: Iterable[OutstationBranchFacts],
    year: int,
    as_of: date,
    *,
    townships: Iterable[str] = (),
    policy: OrganisationPolicy | None = None,
) -> TargetReport:
    """Township: ≥1 outstation branch established by 30 June of ``year`` (inclusive). Branch: ≥2 activists
    designated and ≥1 admission approved in the calendar year. Facts dated after ``as_of`` are not counted;
    a branch established during the year is held to the full yearly target. ``policy``: the one in force on
    ``as_of`` unless given."""
    policy = policy or organisation_policy_on(as_of)
    facts = sorted(branches, key=lambda b: (b.township_id, b.branch_id))
    deadline = policy.township_deadline(year)
    year_end = date(year, 12, 31)
    town_rows = []
    for township in sorted({*townships, *(b.township_id for b in facts)}):
        counted = tuple(
            b.branch_id for b in facts
            if b.township_id == township and b.established_on <= min(deadline, as_of)
            and (b.established_on.year == year or not policy.township_target_new_branches_only)
        )
        met = len(counted) >= policy.township_min_outstation_branches
        town_rows.append(TownshipTarget(
            township_id=township, deadline=deadline, required=policy.township_min_outstation_branches,
            branches_by_deadline=counted, status=_status(met, as_of, deadline),
        ))
    branch_rows = []
    for b in facts:
        if b.established_on > min(year_end, as_of):
            continue
        activists = _in_year(b.activists_designated, year, as_of)
        admissions = _in_year(b.admissions_approved, year, as_of)
        met = (activists >= policy.branch_min_activists_per_year
               and admissions >= policy.branch_min_admissions_per_year)
        branch_rows.append(BranchTarget(
            branch_id=b.branch_id, township_id=b.township_id, activists=activists,
            activists_required=policy.branch_min_activists_per_year, admissions=admissions,
            admissions_required=policy.branch_min_admissions_per_year, status=_status(met, as_of, year_end),
        ))
    return TargetReport(year=year, as_of=as_of, townships=tuple(town_rows), branches=tuple(branch_rows),
                        policy_version=policy.version)


def _in_year(days: tuple[date, ...], year: int, as_of: date) -> int:
    return sum(1 for d in days if d.year == year and d <= as_of)


def _status(met: bool, as_of: date, deadline: date) -> TargetStatus:
    if met:
        return TargetStatus.MET
    return TargetStatus.OPEN if as_of <= deadline else TargetStatus.MISSED
