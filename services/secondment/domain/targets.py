"""The township secondment target (A, D4, D5): by year end ≥5 % of township organ and station staff out.

Pure: staff out on a day (secondment periods covering it) over the headcount in force that day
(the units' effective-dated headcounts). Rounding rule (policy): required = ceil(headcount × 5 / 100),
so a township at exactly 5 % meets it and one person short does not. A cadre on 停薪留职 after the
term is no longer on secondment and is not counted; a period counts through its last day inclusive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
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


#: Staff out on one day, by township and route: all the 5 % rule needs of the periods.
StaffOut = Mapping[tuple[str, Route], int]


def staff_out(periods: Iterable[SecondmentPeriod], on: date) -> dict[tuple[str, Route], int]:
    """How many periods cover ``on``, by township and route."""
    counted: Counter[tuple[str, Route]] = Counter()
    for p in periods:
        if p.covers(on):
            counted[p.township_id, p.route] += 1
    return dict(counted)


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
    return targets_of(units, staff_out(periods, on), on, townships=townships, policy=policy, deadline=deadline)


def targets_of(
    units: Iterable[Unit],
    out: StaffOut,
    on: date,
    *,
    townships: Iterable[str] = (),
    policy: SecondmentPolicy = DEFAULT_SECONDMENT_POLICY,
    deadline: date | None = None,
) -> tuple[TownshipSecondmentTarget, ...]:
    """As ``township_targets``, from the staff out on ``on`` already counted (a read model counts them where they
    are stored: a county holds hundreds of thousands of periods over the years, and one day needs only counts)."""
    headcounts: Counter[str] = Counter()
    for u in units:
        if u.exists:
            headcounts[u.township_id] += u.headcount_on(on)
    by_route: dict[str, Counter[Route]] = {}
    for (township, route), n in out.items():
        by_route.setdefault(township, Counter())[route] += n
    rows = []
    for township in sorted({*townships, *headcounts, *by_route}):
        headcount = headcounts[township]
        routes = by_route.get(township, Counter())
        away = routes.total()
        required = policy.required_out(headcount)
        met = away >= required
        status = TargetStatus.MET if met else (
            TargetStatus.OPEN if deadline is not None and on < deadline else TargetStatus.MISSED)
        percent = (Decimal(away * 100) / headcount).quantize(Decimal("0.01")) if headcount else Decimal(0)
        rows.append(TownshipSecondmentTarget(
            township_id=township, on=on, headcount=headcount, out=away,
            out_self_found=routes[Route.SELF_FOUND], out_organisational=routes[Route.ORGANISATIONAL],
            required=required, percent_out=percent, met=met, status=status, policy_version=policy.version,
        ))
    return tuple(rows)


def year_end_measured(year: int, as_of: date) -> tuple[date, date]:
    """The day the target for 31 December of ``year`` is measured on as known on ``as_of`` — that day once it has
    come, otherwise ``as_of`` — and the deadline (31 December) before which a target not met is still OPEN."""
    year_end = date(year, 12, 31)
    return min(as_of, year_end), year_end


def year_end_targets(
    units: Iterable[Unit],
    periods: Iterable[SecondmentPeriod],
    year: int,
    as_of: date,
    *,
    townships: Iterable[str] = (),
    policy: SecondmentPolicy = DEFAULT_SECONDMENT_POLICY,
) -> tuple[TownshipSecondmentTarget, ...]:
    """The target for 31 December of ``year`` as known on ``as_of`` (``year_end_measured``)."""
    on, deadline = year_end_measured(year, as_of)
    return township_targets(units, periods, on, townships=townships, policy=policy, deadline=deadline)
