"""Membership policy: effective-dated numbers that the rules read, never constants in the code.

Each area keeps its numbers in a dataclass of its own module in this package; MembershipPolicy
joins them, and every decision records the ``version`` it applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, kw_only=True)
class MembershipPolicy:
    version: str
    effective_from: date
    #: B3/B4: away this long at a relatively fixed place calls for a transfer, not a certificate.
    transfer_threshold_months: int = 6
    #: B1: a joint branch (聯合黨支部) covers at most this many units.
    joint_branch_max_units: int = 5
    #: 黨章 art. 1: the minimum age of a Party member.
    minimum_age: int = 18
    #: Longest outflow a registration may announce; longer absences are transfers.
    max_expected_months: int = 120


DEFAULT_POLICIES: tuple[MembershipPolicy, ...] = (
    MembershipPolicy(version="membership-2026.1", effective_from=date(2000, 1, 1)),
)


def policy_on(day: date, policies: tuple[MembershipPolicy, ...] = DEFAULT_POLICIES) -> MembershipPolicy:
    """The policy in force on ``day``: the latest whose effective date is not after it."""
    in_force = [p for p in policies if p.effective_from <= day]
    if not in_force:
        raise LookupError(f"no membership policy in force on {day}")
    return max(in_force, key=lambda p: p.effective_from)
