"""Secondment policy: the numbers of the Golden Bridge decision (A) and the settings it leaves open (D7).

Effective-dated: ``secondment_policy_on(day)`` picks the version in force; decisions take the policy as
the keyword ``policy=`` and record its ``version`` on the events where a number was applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from services.pure.errors import NoPolicyInForce
from services.pure.policy_data import MOST_MONTHS, PolicyBook
from services.secondment.contract.events import CommendationKind


@dataclass(frozen=True, kw_only=True)
class SecondmentPolicy:
    version: str
    effective_from: date
    #: A ("generally 2 years"), D1 ("planned end +2 years"), D4. B7 gives 1–2 years as general practice.
    #: The term's last day is the day before the anniversary of the departure (see domain/common.py).
    term_months: int = 24
    #: D4/D7: check-in frequency NOT FOUND in any source — a setting; default every 3 months.
    check_in_interval_months: int = 3
    #: A allows 停薪留职 at term end, but B7/D7 found no current national basis for it for civil
    #: servants: a legal question for the county. Off until the county confirms it.
    unpaid_leave_allowed: bool = False
    #: A/D4: by year end ≥5 % of township organ and station staff out on secondment.
    #: Rounding (decided, not in the source): required = ceil(headcount × percent / 100) — at exactly
    #: 5 % the target is met, one person short it is not, and any fraction of a person counts as one.
    township_target_percent: Decimal = Decimal(5)
    # --- Commendation (A: "为**引进资金、项目、人才等,作出重大贡献的,给予表彰奖励") ---------------------------
    # A names capital, projects and talent and gives no number for any: every threshold is a setting. A secondment
    # whose total of one counted kind reaches its threshold gets a commendation proposed (once), naming the kinds.
    #: Which kinds count at all (A names the three; its "等" leaves the list open, so the county may narrow it;
    #: an empty list proposes nothing automatically and refuses every proposal).
    commendation_kinds: tuple[CommendationKind, ...] = (
        CommendationKind.CAPITAL, CommendationKind.PROJECT, CommendationKind.TALENT)
    #: Not found — a setting. The total of the secondment's CAPITAL contributions (yuan arrived in the county).
    commendation_capital_threshold_yuan: Decimal = Decimal(1_000_000)
    #: Not found — a setting. PROJECT contributions recorded on the secondment (one each: a project landed or
    #: introduced). Default 2, decided: the decision asks every cadre out to bring investment (招商引资), so one
    #: project is what the secondment is for; a major contribution is more than that.
    commendation_project_threshold: int = 2
    #: Not found — a setting. People introduced by TALENT contributions (each records how many; one if it does
    #: not say). Default 5, decided as a placeholder for the county to publish: a team, not one hire.
    commendation_talent_threshold: int = 5
    #: B7: extension needs approval; no limit found — a setting: total months over all extensions.
    max_extension_months: int = 12
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
        # Bounds on typos, not rules of the decision (a publication already stops at 36,500): a term of 0 months
        # ended the secondment the day before its departure, an interval of 0 made every check-in late.
        for name, least in (("term_months", 1), ("check_in_interval_months", 1), ("max_extension_months", 0)):
            if not least <= getattr(self, name) <= MOST_MONTHS:
                raise ValueError(f"{name} is {least} to {MOST_MONTHS} months")
        if not 0 <= self.township_target_percent <= 100:
            raise ValueError("township_target_percent is a share of the staff: 0 to 100")
        if len(set(self.commendation_kinds)) != len(self.commendation_kinds):
            raise ValueError("commendation_kinds names a kind twice")
        for name in ("commendation_capital_threshold_yuan", "commendation_project_threshold",
                     "commendation_talent_threshold"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive: at zero every secondment would be a major contribution")

    def required_out(self, headcount: int) -> int:
        """Staff that must be out: ceil(headcount × percent / 100), computed exactly (no floats)."""
        if headcount < 0:
            raise ValueError("headcount cannot be negative")
        share = Fraction(headcount) * Fraction(self.township_target_percent) / 100
        return -(-share.numerator // share.denominator)


DEFAULT_SECONDMENT_POLICY = SecondmentPolicy(version="secondment-2026.1", effective_from=date(2000, 1, 1))

DEFAULT_SECONDMENT_POLICIES: tuple[SecondmentPolicy, ...] = (DEFAULT_SECONDMENT_POLICY,)


def secondment_policy_on(
    day: date, policies: tuple[SecondmentPolicy, ...] = DEFAULT_SECONDMENT_POLICIES
) -> SecondmentPolicy:
    """The secondment policy in force on ``day``: the latest whose effective date is not after it."""
    in_force = [p for p in policies if p.effective_from <= day]
    if not in_force:
        raise NoPolicyInForce(f"no secondment policy is in force on {day}; check the date")
    return max(in_force, key=lambda p: p.effective_from)


#: The secondment policy as the county publishes changes to it (services/pure/policy_data.py, docs/policies.md).
POLICY_BOOK = PolicyBook(
    code={"secondment": DEFAULT_SECONDMENT_POLICIES},
)
