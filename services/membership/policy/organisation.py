"""Organisation policy: branch sizes, committees, terms, 三会一课 frequencies, training and Golden Bridge targets.

Every number cites /work/shared/domain.md (A, B1, B5, D3, D4, D7). Decisions take the policy as the
keyword ``policy=`` and record its ``version`` on the events where a number was applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from services.pure.errors import NoPolicyInForce


@dataclass(frozen=True, kw_only=True)
class OrganisationPolicy:
    version: str
    effective_from: date
    # --- Branches (B1, D3) ---
    #: B1/D3: ≥3 full members → a branch; fewer → a joint branch over several units.
    branch_min_full_members: int = 3
    #: B1: a joint branch (联合党支部) covers at most 5 units (and, being joint, at least 2).
    joint_branch_min_units: int = 2
    joint_branch_max_units: int = 5
    #: B1: a temporary branch (临时党支部) has ≥3 members and is approved by the base committee.
    temporary_branch_min_members: int = 3
    #: B1/D3: a branch generally has ≤50 members; more is warned about (recorded on the event), not refused.
    branch_warn_members_above: int = 50
    # --- Committee and secretary (B1) ---
    #: B1/D3: ≥7 full members → a committee; fewer → a secretary (and a deputy if needed).
    committee_min_full_members: int = 7
    #: B1: a committee has 3–5 seats, at most 7; 6 or 7 seats are allowed and recorded as a warning.
    committee_min_seats: int = 3
    committee_usual_max_seats: int = 5
    committee_max_seats: int = 7
    #: B1: optionally one deputy secretary.
    max_deputy_secretaries: int = 1
    #: B1: a term is 3 years (2018 条例); village and community organisations 5 years (党章 art. 31: 3–5).
    term_years: int = 3
    village_or_community_term_years: int = 5
    #: B1: an election may be postponed or advanced by at most 1 year, with higher approval.
    max_election_shift_months: int = 12
    #: Not found (D7 spirit): how early an election due is raised as a reminder. A county setting.
    election_reminder_days: int = 90
    # --- Organisational life (B5, D4): times per period, the year split into equal periods ---
    #: B5: general meeting (支部党员大会) quarterly.
    general_meetings_per_year: int = 4
    #: B5: committee monthly.
    committee_meetings_per_year: int = 12
    #: B5: Party group (党小组) monthly.
    party_group_meetings_per_year: int = 12
    #: B5: theme day (主题党日) on a fixed day monthly.
    theme_days_per_year: int = 12
    #: B5: organisational-life meeting (组织生活会) ≥1 a year, usually in the fourth quarter.
    organisational_life_meetings_per_year: int = 1
    #: B5: democratic appraisal (民主评议) yearly.
    democratic_appraisals_per_year: int = 1
    #: B5: talks (谈心谈话) ≥1 a year (counted per organisation, see meetings.meeting_compliance).
    talks_per_year: int = 1
    #: B5: a secretary gives ≥1 Party lecture (党课) a year.
    secretary_lectures_per_year: int = 1
    #: B5/D7: NOT FOUND — no national figure for lectures to ordinary members (local: 2–4 a year).
    #: A setting; None means no requirement is checked.
    member_lectures_per_year: int | None = None
    #: B5: a committee meeting and a general meeting need more than half of those entitled to vote.
    quorum_share: Fraction = Fraction(1, 2)
    # --- Training (B5) ---
    #: B5: members train ≥32 hours a year; secretaries and committee members ≥56.
    member_training_hours: Decimal = Decimal(32)
    leader_training_hours: Decimal = Decimal(56)
    # --- Golden Bridge targets (A, D4) ---
    #: A/D4: each township has ≥1 outstation branch by 30 June (inclusive).
    township_min_outstation_branches: int = 1
    township_branch_deadline_month: int = 6
    township_branch_deadline_day: int = 30
    #: A says "建立" in the first half of the year without saying whether branches of earlier years
    #: count. False: any branch established by 30 June counts; True: only those established that year.
    township_target_new_branches_only: bool = False
    #: A/D4: each branch cultivates ≥2 activists and admits ≥1 member per calendar year.
    branch_min_activists_per_year: int = 2
    branch_min_admissions_per_year: int = 1

    def __post_init__(self) -> None:
        for name in (
            "general_meetings_per_year", "committee_meetings_per_year", "party_group_meetings_per_year",
            "theme_days_per_year", "organisational_life_meetings_per_year", "democratic_appraisals_per_year",
            "talks_per_year", "secretary_lectures_per_year", "member_lectures_per_year",
        ):
            per_year = getattr(self, name)
            if per_year is not None and (per_year < 1 or 12 % per_year):
                raise ValueError(f"{name} must divide the year into equal months: 1, 2, 3, 4, 6 or 12")
        if not self.committee_min_seats <= self.committee_usual_max_seats <= self.committee_max_seats:
            raise ValueError("committee seats: min ≤ usual max ≤ max")
        # Bounds on typos, not rules of the decision: a deadline of month 13 or 31 February made every targets
        # report of its year a 500, and a share of all or more made no meeting quorate.
        try:
            date(2001, self.township_branch_deadline_month, self.township_branch_deadline_day)  # not a leap year
        except ValueError:
            raise ValueError("township_branch_deadline_month and township_branch_deadline_day must name a day of "
                             "every year (29 February is not)") from None
        if not 0 <= self.quorum_share < 1:
            raise ValueError("quorum_share is the share of members a quorum must exceed: at least 0, below 1")
        for name in ("branch_min_full_members", "joint_branch_min_units", "temporary_branch_min_members",
                     "committee_min_full_members", "committee_min_seats", "term_years",
                     "village_or_community_term_years"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.joint_branch_max_units < self.joint_branch_min_units:
            raise ValueError("joint_branch_max_units must not be below joint_branch_min_units")

    def term_years_for(self, village_or_community: bool) -> int:
        return self.village_or_community_term_years if village_or_community else self.term_years

    def training_hours_required(self, leader: bool) -> Decimal:
        """Yearly hours: secretaries and committee members (``leader``) need more than other members."""
        return self.leader_training_hours if leader else self.member_training_hours

    def township_deadline(self, year: int) -> date:
        return date(year, self.township_branch_deadline_month, self.township_branch_deadline_day)


DEFAULT_ORGANISATION_POLICY = OrganisationPolicy(version="organisation-2026.1", effective_from=date(2000, 1, 1))

DEFAULT_ORGANISATION_POLICIES: tuple[OrganisationPolicy, ...] = (DEFAULT_ORGANISATION_POLICY,)


def organisation_policy_on(
    day: date, policies: tuple[OrganisationPolicy, ...] = DEFAULT_ORGANISATION_POLICIES
) -> OrganisationPolicy:
    """The organisation policy in force on ``day``: the latest whose effective date is not after it."""
    in_force = [p for p in policies if p.effective_from <= day]
    if not in_force:
        raise NoPolicyInForce(f"no organisation policy in force on {day}; check the date")
    return max(in_force, key=lambda p: p.effective_from)
