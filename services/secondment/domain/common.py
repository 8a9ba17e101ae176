"""Small rules the secondment aggregates share: the term's last day, role scopes, money.

Roles: there is no "sending unit" role in services.pure.identity. The county organisation department
acts as ``Role.COUNTY_ADMIN`` (any scope); a township's sending unit acts as ``Role.TOWNSHIP_COMMITTEE``
with ``org_id`` = the township id or the unit id (A: tracking is led by the sending unit).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

from services.pure.errors import Forbidden
from services.pure.identity import Actor, Role
from services.pure.money import yuan


def term_last_day(departed_on: date, months: int) -> date:
    """The last day of a term of ``months`` that starts on ``departed_on`` (the departure day is day one).

    Decided: the day before the anniversary. Departing 2024-03-01 for 24 months, the cadre is out
    through 2026-02-28 and due back on 2026-03-01. The anniversary of a day the end month lacks
    (29 February, 31st) is the first day of the next month, so a term from 2024-02-29 also ends on
    2026-02-28 — the month-end rule of Civil Code art. 202 for the last day.
    """
    years, month_index = divmod(departed_on.month - 1 + months, 12)
    year, month = departed_on.year + years, month_index + 1
    month_end = calendar.monthrange(year, month)[1]
    if departed_on.day > month_end:
        return date(year, month, month_end)
    return date(year, month, departed_on.day) - timedelta(days=1)


def require_sending_unit(actor: Actor, township_id: str, unit_id: str, action: str) -> str:
    """The county organisation department acts anywhere; a sending unit (township committee role) only on
    cadres of its own township or unit. Returns the acting organisation's id."""
    if actor.role is Role.COUNTY_ADMIN:
        return actor.org_id or "county"
    if actor.role is Role.TOWNSHIP_COMMITTEE:
        if actor.org_id in (township_id, unit_id):
            return township_id if actor.org_id == township_id else unit_id
        raise Forbidden(f"the sending unit {actor.org_id} cannot {action} in {unit_id} of {township_id}")
    raise Forbidden(f"only the sending unit or the county organisation department may {action}; "
                    f"you are {actor.role.value}")


def require_county(actor: Actor, action: str) -> str:
    """Approvals belong to the county organisation department; returns the approving organisation's id."""
    if actor.role is not Role.COUNTY_ADMIN:
        raise Forbidden(f"only the county organisation department (county_admin) may {action}; "
                        f"you are {actor.role.value} — send it to the county for approval")
    return actor.org_id or "county"


def check_yuan(amount: Decimal, what: str) -> Decimal:
    """Money is positive yuan to the fen (two decimals at most), bounded: the one money check
    (services/pure/money.py) — an unbounded exponent (1e999999) was stored and then refused by every read model."""
    return yuan(amount, what, positive=True)
