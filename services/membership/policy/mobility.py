"""Mobility, transfer and standing policy: the numbers of B3/B4 and the settings the sources leave open.

Every number cites /work/shared/domain.md (B3, B4, D3, D4, D7). Decisions take the policy as the
keyword ``policy=`` and record its ``version`` on the events where a number was applied. Months are
calendar months (the end of a shorter month stands in for a missing day); days are days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.pure.errors import NoPolicyInForce
from services.pure.policy_data import MOST_MONTHS


@dataclass(frozen=True, kw_only=True)
class MobilityPolicy:
    version: str
    effective_from: date
    # --- Certificate or transfer (B3, B4, D3) ---
    #: B3/B4/D3: away this many months or more at a relatively fixed place calls for a transfer of the
    #: organisational relationship, not an activity certificate (5 months: certificate; 6: transfer).
    transfer_threshold_months: int = 6
    #: Longest outflow a registration may announce; longer absences are transfers, not mobility.
    max_expected_months: int = 120
    # --- Activity certificate (流动党员活动证, B4) ---
    #: B4: a certificate is for outings of at most 6 months; longer only when a transfer is not yet
    #: possible (the certificate then records ``transfer_impossible`` and the reason).
    certificate_max_months: int = 6
    #: B4: a local rule (98523.com) adds an annual review of each certificate. A switch, default on.
    certificate_annual_review: bool = True
    certificate_review_interval_months: int = 12
    #: B4: ≥3 members going out to one place → a branch, temporary branch or Party group, not certificates.
    cluster_branch_threshold: int = 3
    # --- Contact (B4, D4) ---
    #: B4 (条例 2019): ≥6 months unreachable → suspension (停止党籍); D4 raises a suspension review then.
    contact_loss_suspension_months: int = 6
    #: B4: still unreachable 2 years after that → removal as 自行脱党; D4 raises a removal review then.
    contact_loss_removal_months: int = 24
    #: B4 lists lost contact under mobile members; True raises contact reviews only for members away
    #: (registered outflow). False raises them for every member whose last contact is old.
    contact_reviews_only_when_away: bool = True
    #: B4 (member duties): a mobile member reports to the outflow organisation ≥1 time a year.
    home_report_interval_months: int = 12
    # --- Transfer letters (B3, D4, D7) ---
    #: B3/D7: no single national validity ("≤3 months", online settings of 30 or 90 days) → default 90 days.
    #: ``valid_until`` = issue date + this many days; a letter received on ``valid_until`` is accepted.
    letter_validity_days: int = 90
    #: D4: "alarm at validUntil". Days before ``valid_until`` the alarm is raised; not found, default 0.
    letter_alarm_days_before: int = 0
    #: B3 (late): without a valid reason, more than 6 months not transferred (counted from the first
    #: letter's issue date) → 自行脱党 review (D4 "lapse review at +6 months"). Also the months without
    #: organisational life or dues that ground a lapse decision (B3).
    lapse_months: int = 6

    def __post_init__(self) -> None:
        for name in (
            "transfer_threshold_months", "max_expected_months", "certificate_max_months",
            "certificate_review_interval_months", "cluster_branch_threshold", "contact_loss_suspension_months",
            "contact_loss_removal_months", "home_report_interval_months", "letter_validity_days", "lapse_months",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.letter_alarm_days_before < 0:
            raise ValueError("letter_alarm_days_before must not be negative")
        # A month count the county could mean, not a typo's (10,000 months of certificate were taken).
        for name in ("transfer_threshold_months", "max_expected_months", "certificate_max_months",
                     "certificate_review_interval_months", "contact_loss_suspension_months",
                     "contact_loss_removal_months", "home_report_interval_months", "lapse_months"):
            if getattr(self, name) > MOST_MONTHS:
                raise ValueError(f"{name} is at most {MOST_MONTHS} months")


DEFAULT_MOBILITY_POLICY = MobilityPolicy(version="mobility-2026.1", effective_from=date(2000, 1, 1))

DEFAULT_MOBILITY_POLICIES: tuple[MobilityPolicy, ...] = (DEFAULT_MOBILITY_POLICY,)


def mobility_policy_on(day: date, policies: tuple[MobilityPolicy, ...] = DEFAULT_MOBILITY_POLICIES) -> MobilityPolicy:
    """The mobility policy in force on ``day``: the latest whose effective date is not after it."""
    in_force = [p for p in policies if p.effective_from <= day]
    if not in_force:
        raise NoPolicyInForce(f"no mobility policy in force on {day}; check the date")
    return max(in_force, key=lambda p: p.effective_from)
