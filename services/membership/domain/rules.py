"""Rule helpers shared by the membership aggregates: scopes and identity-number checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.membership.contract.events.personal import mask_national_id
from services.pure.errors import DomainError, Forbidden
from services.pure.identity import Actor, Role

__all__ = ["age_on", "birth_date_from_national_id", "mask_national_id", "require_org_scope", "require_roles"]

#: The most one training record may hold (a session, or a concentrated course): bounds on typos, far past any real
#: course — 1e50 hours was recorded and counted toward the hours a development target needs.
MOST_TRAINING_HOURS = Decimal(1_000)
MOST_TRAINING_DAYS = 366


def training_time(hours: Decimal, days: int = 0) -> None:
    """A training record's hours and days within their bounds; else a 422 saying which."""
    if hours > MOST_TRAINING_HOURS or days > MOST_TRAINING_DAYS:
        raise DomainError(f"one training record holds at most {MOST_TRAINING_HOURS} hours and {MOST_TRAINING_DAYS} "
                          "days; record a longer course as several records")


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def require_org_scope(actor: Actor, org_id: str, action: str) -> None:
    """County and township staff act anywhere; a branch secretary only inside their own branch."""
    if actor.role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE):
        return
    if actor.role is Role.BRANCH_SECRETARY and actor.org_id == org_id:
        return
    if actor.role is Role.BRANCH_SECRETARY:
        raise Forbidden(f"a branch secretary of {actor.org_id} cannot {action} in {org_id}")
    raise Forbidden(f"the role {actor.role.value} cannot {action}")


def require_roles(actor: Actor, action: str, *roles: Role) -> None:
    if actor.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise Forbidden(f"only {allowed} may {action}; you are {actor.role.value}")


def birth_date_from_national_id(national_id: str) -> date:
    """Validate an 18-character resident ID (GB 11643-1999) and return the birth date it encodes."""
    if len(national_id) != 18 or not national_id[:17].isdigit():
        raise DomainError("national_id must be 18 characters: 17 digits and a check digit or X")
    total = sum(int(d) * w for d, w in zip(national_id[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != national_id[17].upper():
        raise DomainError("national_id check digit does not match; check the number for a typo")
    try:
        return date(int(national_id[6:10]), int(national_id[10:12]), int(national_id[12:14]))
    except ValueError:
        raise DomainError("national_id encodes an impossible birth date") from None


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


