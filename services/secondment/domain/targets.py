"""The township secondment target (A, D4, D5): by year end ≥5 % of township organ and station staff out.

Pure: staff out on a day (secondment periods covering it) over the headcount in force that day
(the units' effective-dated headcounts). Rounding rule (policy): required = ceil(headcount × 5 / 100),
so a township at exactly 5 % meets it and one person short does not. A cadre on 停薪留职 after the
term is no longer on secondment and is not counted; a period counts through its last day inclusive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.secondment.contract.events import Route
from services.secondment.domain.units import Unit
from services.secondment.policy import DEFAULT_SECONDMENT_POLICY, SecondmentPolicy


class TargetStatus(StrEnum):
    MET = "met"
    #: Not met yet, but the year has not ended on ``as_of``.
    OPEN = "open"
    MISSED = "missed"


@dataclass(frozen=True, kw_only=True)
class SecondmentPeriod:
    """A cadre out from ``departed_on`` through ``last_day`` (None: still out)."""

    secondment_id: str
    cadre_id: str
    unit_id: str
    township_id: str
    route: Route
    departed_on: date
    last_day: date | None = None

    def covers(self, day: date) -> bool:
        return self.departed_on <= day and (self.last_day is None or day <= self.last_day)


@dataclass(frozen=True, kw_only=True)
class TownshipSecondmentTarget:
    township_id: str
    on: date
    headcount: int
    out: int
    #: A: mostly self-found work, organisational posting second — reported, not enforced.
    out_self_found: int
    out_organisational: int
    required: int
    percent_out: Decimal
    met: bool
    status: TargetStatus
    policy_version: str


def township_targets(
    units: Iterable[Unit],
    periods: Iterable[SecondmentPeriod],
    on: date,
    *,
    townships: Iterable[str] = (),
    policy: SecondmentPolicy = DEFAULT_SECONDMENT_POLICY,
    deadline: date | None = None,
) -> tuple[TownshipSecondmentTarget, ...]:
    """Each township's target on ``on``: staff out that day over the headcount in force that day.

    ``status`` is MET, or OPEN while ``on`` is before ``deadline`` (no deadline: MISSED when not met)."""
    unit_list = [u for u in units if u.exists]
    out = [p for p in periods if p.covers(on)]
    names = sorted({*townships, *(u.township_id for u in unit_list), *(p.township_id for p in out)})
    rows = []
    for township in names:
        headcount = sum(u.headcount_on(on) for u in unit_list if u.township_id == township)
        away = [p for p in out if p.township_id == township]
        required = policy.required_out(headcount)
        met = len(away) >= required
        status = TargetStatus.MET if met else (
            TargetStatus.OPEN if deadline is not None and on < deadline else TargetStatus.MISSED)
        percent = (Decimal(len(away) * 100) / headcount).quantize(Decimal("0.01")) if headcount else Decimal(0)
        rows.append(TownshipSecondmentTarget(
            township_id=township, on=on, headcount=headcount, out=len(away),
            out_self_found=sum(1 for p in away if p.route is Route.SELF_FOUND),
            out_organisational=sum(1 for p in away if p.route is Route.ORGANISATIONAL),
            required=required, percent_out=percent, met=met, status=status, policy_version=policy.version,
        ))
    return tuple(rows)


def year_end_targets(
    units: Iterable[Unit],
    periods: Iterable[SecondmentPeriod],
    year: int,
    as_of: date,
    *,
    townships: Iterable[str] = (),
    policy: SecondmentPolicy = DEFAULT_SECONDMENT_POLICY,
) -> tuple[TownshipSecondmentTarget, ...]:
    """The target for 31 December of ``year`` as known on ``as_of``: measured on that day once it has come,
    otherwise on ``as_of`` with status OPEN while not met."""
    year_end = date(year, 12, 31)
    return township_targets(units, periods, min(as_of, year_end), townships=townships, policy=policy,
                            deadline=year_end)
