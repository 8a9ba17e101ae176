"""Membership policy: effective-dated numbers that the rules read, never constants in the code.

Each area keeps its numbers in a dataclass of its own module in this package (organisation, mobility,
development, dues), each chosen by the day a decision concerns (``*_policy_on(day)``); decisions record
the ``version`` they applied. ``MembershipPolicy`` keeps what belongs to no area: registration's minimum age.
The branch-size, transfer-threshold and outflow numbers live in the organisation and mobility policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.pure.errors import NoPolicyInForce


@dataclass(frozen=True, kw_only=True)
class MembershipPolicy:
    version: str
    effective_from: date
    #: 党章 art. 1: the minimum age of a Party member (checked when a member is registered directly).
    minimum_age: int = 18
    # --- Two time axes: the day a fact took effect and the day it is recorded (docs/decisions/effective-dates.md) ---
    #: A fact may be recorded at most this many days after the day it took effect, with a reason. 366: a
    #: year and a day — the longest cycle of the county's own reporting (the yearly home report, appraisal
    #: and dues disclosure), so anything a branch has not written up within it is a typo in the year or an
    #: archive entry, not a late record. The rule reads the policy in force on the recording day.
    backdating_limit_days: int = 366
    #: The county's first day of records in Golden Bridge. Facts dated before it are taken over from the
    #: paper archive (台账) — a development case or a secondment taken over mid-way reaches years back — and
    #: need neither a reason nor the limit; facts from it on that are entered late need both.
    records_kept_from: date = date(2026, 12, 1)

    def __post_init__(self) -> None:
        # Checked here so a published change that would break it is refused naming the field (policy_data).
        if self.backdating_limit_days < 0:
            raise ValueError("backdating_limit_days cannot be negative: 0 admits no fact entered late")


DEFAULT_POLICIES: tuple[MembershipPolicy, ...] = (
    MembershipPolicy(version="membership-2026.1", effective_from=date(2000, 1, 1)),
)


def policy_on(day: date, policies: tuple[MembershipPolicy, ...] = DEFAULT_POLICIES) -> MembershipPolicy:
    """The policy in force on ``day``: the latest whose effective date is not after it."""
    in_force = [p for p in policies if p.effective_from <= day]
    if not in_force:
        raise NoPolicyInForce(f"no membership policy in force on {day}; check the date")
    return max(in_force, key=lambda p: p.effective_from)
