"""Member development policy: the numbers of 发展党员工作细则 (2014) and the settings it leaves open.

Every number cites /work/shared/domain.md (B6, D3, D4, D7). Decisions take the policy as the
keyword ``policy=`` and record its ``version`` on the events where a number was applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.pure.errors import NoPolicyInForce


@dataclass(frozen=True, kw_only=True)
class DevelopmentPolicy:
    version: str
    effective_from: date
    #: B6 (党章 art. 1; 细则 art. 5): an applicant is at least 18 on the day of application.
    minimum_age: int = 18
    #: B6 (细则 art. 7): the organisation talks with the applicant within 1 month (D4 says ≤30 days;
    #: calendar months are used, the end of a shorter month standing in for a missing day).
    interview_within_months: int = 1
    #: D7: no national minimum from application to activist; local rules say 6 months. A setting, default 0.
    activist_min_months_after_application: int = 0
    #: B6/D3: 1–2 full members act as cultivation contacts.
    min_cultivation_contacts: int = 1
    max_cultivation_contacts: int = 2
    #: B6/D4: an activist is assessed every 6 months.
    assessment_interval_months: int = 6
    #: D3: target designation only ≥365 days after activist designation. "One year" is counted in
    #: days, not as the calendar anniversary: across a 29 February day 365 falls one day before it.
    target_min_cultivation_days: int = 365
    #: B6/D3: two full-member introducers.
    introducers_required: int = 2
    #: B6/D3: training of ≥24 hours or ≥3 days before pre-review (either suffices).
    training_min_hours: Decimal = Decimal(24)
    training_min_days: int = 3
    #: B6 (细则 art. 19): a target leaving the unit within 3 months is generally not admitted.
    #: True refuses the pre-review; False lets it pass and records ``leaving_soon`` on the event.
    leaving_soon_months: int = 3
    refuse_targets_leaving_soon: bool = True
    #: B6/D4: approval ≤3 months after the vote; ≤6 months in special cases (a reason is required).
    admission_approval_months: int = 3
    admission_approval_limit_months: int = 6
    #: B6 (art. 32): probation is 1 year from the vote date.
    probation_months: int = 12
    #: B6/D3: probation is extended at most once, by 6–12 months.
    max_extensions: int = 1
    min_extension_months: int = 6
    max_extension_months: int = 12
    #: B6 (细则 art. 33): the member applies when probation ends. Days before the end an application
    #: is accepted — not in national text, default 0.
    conversion_application_days_before_end: int = 0
    #: B6/D4: the branch meets within 1 month of the conversion application. A later meeting (≤3 months
    #: in special cases) is held but recorded as late.
    conversion_meeting_months: int = 1
    #: B6/D4: higher approval of a conversion resolution within 3 months of the vote.
    conversion_approval_months: int = 3


DEFAULT_DEVELOPMENT_POLICY = DevelopmentPolicy(version="development-2026.1", effective_from=date(2014, 6, 10))

DEFAULT_DEVELOPMENT_POLICIES: tuple[DevelopmentPolicy, ...] = (DEFAULT_DEVELOPMENT_POLICY,)


def development_policy_on(
    day: date, policies: tuple[DevelopmentPolicy, ...] = DEFAULT_DEVELOPMENT_POLICIES
) -> DevelopmentPolicy:
    """The development policy in force on ``day``: the latest whose effective date is not after it."""
    in_force = [p for p in policies if p.effective_from <= day]
    if not in_force:
        raise NoPolicyInForce(f"no development policy in force on {day}; check the date")
    return max(in_force, key=lambda p: p.effective_from)
