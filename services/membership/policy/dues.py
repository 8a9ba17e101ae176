"""Dues policy: the shipped 2008 national scale (中组发〔2008〕3号) and the lookup of the scale in force.

The scale is data, not code: ``DuesScale`` (its shape is in ``services.membership.contract.events.dues``,
because ``DuesScalePublished`` carries it) holds brackets, flat amounts, rounding and every limit.
An administrator publishes later scales through the dues-policy stream; ``DuesPolicy`` is that
stream's state and is what dues decisions take as ``policy=``. Every number below cites
/work/shared/domain.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.membership.contract.events.common import DuesCategory
from services.membership.contract.events.dues import BaseKind, Bracket, CategoryRule, DuesScale
from services.pure.dates import first_day
from services.pure.errors import NoPolicyInForce

#: B2 table: after-tax wage (and annual-salary pay, self-employed quarterly average) brackets, upper
#: bounds inclusive: ≤3000 0.5 %, ≤5000 1 %, ≤10000 1.5 %, above 2 %.
WAGE_BRACKETS_2008 = (
    Bracket(up_to=Decimal(3000), rate=Decimal("0.005")),
    Bracket(up_to=Decimal(5000), rate=Decimal("0.01")),
    Bracket(up_to=Decimal(10000), rate=Decimal("0.015")),
    Bracket(up_to=None, rate=Decimal("0.02")),
)
#: B2 table: pension ≤5000 0.5 %, above 1 %.
PENSION_BRACKETS_2008 = (
    Bracket(up_to=Decimal(5000), rate=Decimal("0.005")),
    Bracket(up_to=None, rate=Decimal("0.01")),
)
#: B2 table: students, unemployed and members on relief or 低保 pay 0.2 yuan a month.
MINIMUM_FLAT_2008 = Decimal("0.20")

DUES_SCALE_2008 = DuesScale(
    version="dues-2008",
    effective_from=date(2008, 4, 1),
    categories=(
        CategoryRule(category=DuesCategory.WAGE_EARNER, base_kind=BaseKind.MONTHLY_WAGE_AFTER_TAX,
                     brackets=WAGE_BRACKETS_2008),
        CategoryRule(category=DuesCategory.ANNUAL_SALARY, base_kind=BaseKind.PAY_RECEIVED_THAT_MONTH,
                     brackets=WAGE_BRACKETS_2008),
        CategoryRule(category=DuesCategory.SELF_EMPLOYED, base_kind=BaseKind.PREVIOUS_QUARTER_AVERAGE_NET_INCOME,
                     brackets=WAGE_BRACKETS_2008),
        CategoryRule(category=DuesCategory.RETIREE, base_kind=BaseKind.PENSION, brackets=PENSION_BRACKETS_2008),
        # B2: farmers pay 0.2–1 yuan a month; 0.5 is this system's default for a member who chose nothing.
        CategoryRule(category=DuesCategory.FARMER, base_kind=BaseKind.FLAT, flat_amount=Decimal("0.50"),
                     flat_min=Decimal("0.20"), flat_max=Decimal("1.00")),
        CategoryRule(category=DuesCategory.STUDENT, base_kind=BaseKind.FLAT, flat_amount=MINIMUM_FLAT_2008),
        CategoryRule(category=DuesCategory.UNEMPLOYED, base_kind=BaseKind.FLAT, flat_amount=MINIMUM_FLAT_2008),
        CategoryRule(category=DuesCategory.RELIEF, base_kind=BaseKind.FLAT, flat_amount=MINIMUM_FLAT_2008),
    ),
    # The remaining fields keep the defaults stated on DuesScale (rounding to the fen half up, arrears and
    # prepayment ≤6 months, 1000 yuan to the Centre, reminder at 3 months, lapse review at 6, quarterly
    # remittance, art. 10 income changes).
)


@dataclass(frozen=True, kw_only=True)
class DuesPolicy:
    """Every published dues scale, in publication order (the state of the ``dues-policy`` stream)."""

    scales: tuple[DuesScale, ...]

    @property
    def latest(self) -> DuesScale:
        return self.scales[-1]

    def scale_on(self, month: str | date) -> DuesScale:
        return scale_on(self.scales, month)


DEFAULT_DUES_POLICY = DuesPolicy(scales=(DUES_SCALE_2008,))


def scale_on(published: Sequence[DuesScale], month: str | date) -> DuesScale:
    """The scale in force in ``month`` ("YYYY-MM" or any day of it): the latest effective one not after it.

    Two scales effective the same month: the one published later wins (a correction published before
    the month began).
    """
    # A month string has been read by services.pure.dates.year_month (the commands' one month check): 1900 to 2100.
    day = first_day(month) if isinstance(month, str) else month.replace(day=1)
    in_force = [(s.effective_from, i, s) for i, s in enumerate(published) if s.effective_from <= day]
    if not in_force:
        raise NoPolicyInForce(f"no dues scale is in force in {day:%Y-%m}; the earliest starts later; check the date")
    return max(in_force, key=lambda t: (t[0], t[1]))[2]
