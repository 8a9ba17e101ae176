"""Dues arithmetic over a published scale: the bracket a base falls in, the amount, rounded once; scale checks.

Pure functions of a ``DuesScale``: no account state. The amount of a bracket category is
``base × rate`` quantised once to the scale's quantum with its rounding mode; a flat category pays
its flat amount (a member's chosen one, kept within the scale's bounds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise

from services.membership.contract.events.common import DuesCategory
from services.membership.contract.events.dues import BaseKind, DuesScale
from services.membership.policy.dues import DuesPolicy
from services.pure import text_lengths
from services.pure.errors import DomainError
from services.pure.frozen import made
from services.pure.money import yuan
from services.pure.personal_text import not_personal
from services.pure.policy_data import MOST_MONTHS

_QUANTA = (Decimal("0.01"), Decimal("0.1"), Decimal(1))


@dataclass(frozen=True, kw_only=True)
class Computation:
    """How one month's standard amount comes about: what the member's statement explains."""

    category: DuesCategory
    base_kind: BaseKind
    base: Decimal | None
    bracket: int | None
    bracket_up_to: Decimal | None
    rate: Decimal | None
    amount: Decimal
    policy_version: str


def rounded(value: Decimal, scale: DuesScale) -> Decimal:
    """The one rounding step of the dues rules (D7: a setting; default the fen, half up)."""
    return value.quantize(scale.rounding_quantum, rounding=scale.rounding)  # a StrEnum: the mode's own name


def compute(
    scale: DuesScale, category: DuesCategory, base: Decimal | None, flat_amount: Decimal | None = None
) -> Computation:
    """The standard monthly amount for ``category`` and ``base`` under ``scale`` (B2 table).

    A chosen flat amount outside the bounds of a later scale is brought inside them (the member chose
    within the bounds that were in force; the new bounds win).
    """
    rule = scale.rule_for(category)
    if rule.base_kind is BaseKind.FLAT:
        amount = rule.flat_amount if rule.flat_amount is not None else Decimal(0)
        if flat_amount is not None and rule.flat_min is not None and rule.flat_max is not None:
            amount = min(max(flat_amount, rule.flat_min), rule.flat_max)
        return Computation(category=category, base_kind=rule.base_kind, base=base, bracket=None, bracket_up_to=None,
                           rate=None, amount=rounded(amount, scale), policy_version=scale.version)
    if base is None:
        raise DomainError(f"a {category.value} member's dues need a base ({rule.base_kind.value}); declare it first")
    for number, bracket in enumerate(rule.brackets, start=1):
        if bracket.up_to is None or base <= bracket.up_to:
            # made: the monthly run computes every account's amount (services/pure/frozen.py)
            return made(Computation, category=category, base_kind=rule.base_kind, base=base, bracket=number,
                        bracket_up_to=bracket.up_to, rate=bracket.rate, amount=rounded(base * bracket.rate, scale),
                        policy_version=scale.version)
    raise DomainError(f"dues scale {scale.version} has no bracket for a base of {base}")  # pragma: no cover


def scale_in(policy: DuesPolicy, month: str) -> DuesScale:
    try:
        return policy.scale_on(month)
    except LookupError as exc:
        raise DomainError(f"{exc}; dues are owed only from a month a published scale covers") from None


def check_money(value: Decimal, what: str) -> Decimal:
    """Money in: not negative, bounded, at most two decimals (the fen) — the one money check of every service
    (services/pure/money.py), which never quantizes an unbounded amount (forty digits were a 500 here)."""
    return yuan(value, what)


def validate_scale(scale: DuesScale, today: date) -> None:
    """A scale is complete and consistent before it is published; refused with what to fix."""
    if not scale.version.strip():
        raise DomainError("a dues scale needs a version name, e.g. dues-2027")
    # The version is named on every assessment made with the scale, in clear: a name, never a phone.
    if len(scale.version) > text_lengths.ID:
        raise DomainError(f"a dues scale's version is at most {text_lengths.ID} characters, e.g. dues-2027",
                          field="version")
    not_personal(scale.version, "version", instead="a name such as dues-2027")
    if scale.effective_from.day != 1:
        raise DomainError(f"a dues scale starts on the first day of a month, not {scale.effective_from}")
    if scale.effective_from < today.replace(day=1):
        raise DomainError(f"a dues scale is never retroactive: effective_from {scale.effective_from} is before this "
                          f"month; publish it from {today.replace(day=1)} or later")
    covered = [rule.category for rule in scale.categories]
    missing = [c.value for c in DuesCategory if c not in covered]
    if missing or len(covered) != len(set(covered)):
        raise DomainError(f"a dues scale has exactly one rule per category; missing or repeated: "
                          f"{', '.join(missing) or 'a repeated category'}")
    for rule in scale.categories:
        name = rule.category.value
        if rule.base_kind is BaseKind.FLAT:
            if rule.flat_amount is None:
                raise DomainError(f"the flat category {name} needs a flat_amount")
            check_money(rule.flat_amount, f"{name} flat_amount")
            low, high = rule.flat_min, rule.flat_max
            if (low is None) != (high is None):
                raise DomainError(f"{name}: give both flat_min and flat_max, or neither")
            if low is not None and high is not None and not (
                check_money(low, f"{name} flat_min") <= rule.flat_amount <= check_money(high, f"{name} flat_max")
            ):
                raise DomainError(f"{name}: flat_amount {rule.flat_amount} must lie within {low}–{high}")
            continue
        bounds = [b.up_to for b in rule.brackets]
        if not bounds or bounds[-1] is not None or None in bounds[:-1]:
            raise DomainError(f"{name}: brackets need inclusive upper bounds and a last, open bracket (up_to empty)")
        closed = [b for b in bounds if b is not None]
        if any(b <= a for a, b in pairwise(closed)) or any(b < 0 for b in closed):
            raise DomainError(f"{name}: bracket upper bounds must rise strictly")
        if any(not (0 <= b.rate <= 1) for b in rule.brackets):
            raise DomainError(f"{name}: a rate is a fraction between 0 and 1 (0.005 = 0.5 %)")
    if scale.rounding_quantum.normalize() not in _QUANTA:
        raise DomainError("rounding_quantum is 0.01, 0.1 or 1 yuan")
    if min(scale.max_arrears_months, scale.max_prepayment_months) < 0 or scale.lapse_months < 1:
        raise DomainError("the month limits are whole months: arrears and prepayment ≥ 0, lapse ≥ 1")
    if max(scale.max_arrears_months, scale.max_prepayment_months, scale.lapse_months) > MOST_MONTHS:
        raise DomainError(f"the month limits (arrears, prepayment, lapse) are at most {MOST_MONTHS} months")
    if any(not (1 <= r <= scale.lapse_months) for r in scale.reminder_months):
        raise DomainError(f"reminder months lie between 1 and the lapse months ({scale.lapse_months})")
    if scale.central_committee_threshold <= 0:
        raise DomainError("the Central Committee threshold is a positive amount")


def check_income(
    scale: DuesScale, category: DuesCategory, base: Decimal | None, flat_amount: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    """Check a category's base (bracket categories) or chosen flat amount (farmers) against ``scale``."""
    rule = scale.rule_for(category)
    if base is not None:
        base = check_money(base, "base")
    if rule.base_kind is not BaseKind.FLAT and base is None:
        raise DomainError(f"a {category.value} member needs a base: {rule.base_kind.value.replace('_', ' ')}")
    if flat_amount is None:
        return base, None
    flat_amount = check_money(flat_amount, "flat_amount")
    if rule.base_kind is not BaseKind.FLAT or rule.flat_min is None or rule.flat_max is None:
        raise DomainError(f"{category.value} members do not choose their amount under {scale.version}; "
                          "leave flat_amount empty")
    if not rule.flat_min <= flat_amount <= rule.flat_max:
        raise DomainError(f"a {category.value} member pays {rule.flat_min}–{rule.flat_max} yuan a month under "
                          f"{scale.version}, not {flat_amount}")
    return base, flat_amount
