"""Investment lead policy: stall period, referral reward tiers and the claim window (domain.md B8, D7).

B8: the county decision gives no reward numbers; local schemes pay the first referrer only, one
reward per project, a per-mille of the actual fixed-asset investment (1.5–3 ‰, or 3–4 ‰ by tier),
claimed within 1 year of completion; a lead stalled 1 month goes elsewhere. D7 lists this county's
reward rates as not found, so every number here is a county setting with a stated default, and
decisions record the ``version`` they applied. The major-contribution threshold that opens a
commendation belongs to the secondment policy, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise

from services.pure.errors import NoPolicyInForce
from services.pure.policy_data import MOST_MONTHS, PolicyBook


@dataclass(frozen=True, kw_only=True)
class RewardTier:
    """The part of the base from ``from_amount`` (yuan, inclusive) up to the next tier earns ``rate_per_mille``."""

    from_amount: Decimal
    rate_per_mille: Decimal


#: County setting, not found nationally (D7). Defaults within B8's local 1.5–3 ‰ range, the rate
#: falling as the project grows: 3 ‰ of the first 10 million yuan, 2 ‰ of the part from 10 to
#: 50 million, 1.5 ‰ of the part above 50 million.
DEFAULT_REWARD_TIERS: tuple[RewardTier, ...] = (
    RewardTier(from_amount=Decimal(0), rate_per_mille=Decimal(3)),
    RewardTier(from_amount=Decimal(10_000_000), rate_per_mille=Decimal(2)),
    RewardTier(from_amount=Decimal(50_000_000), rate_per_mille=Decimal("1.5")),
)


#: Per mille of the investment: a rate above it would pay more than the investment itself.
PER_MILLE = Decimal(1000)
#: The most tiers a reward scheme may have (the defaults have three; local schemes a handful).
MOST_TIERS = 20
#: The longest stall period: ten years.
MOST_STALL_DAYS = 3_650
#: The quanta a reward may be rounded to: the fen, the jiao, the yuan.
QUANTA = (Decimal("0.01"), Decimal("0.1"), Decimal(1))


@dataclass(frozen=True, kw_only=True)
class InvestmentPolicy:
    version: str
    effective_from: date
    #: B8 (local practice): a lead without progress for 1 month is stalled; counted in days, default 30.
    stalled_after_days: int = 30
    #: A: "建立回归绿色通道" — a green channel (fast lane) for natives who succeeded elsewhere and come home to
    #: found a business or invest (回归工程); the decision gives no number. The lane means the county follows a
    #: homecoming lead up sooner: it is flagged stalled after this many days without progress (not found — a
    #: setting; default 15, half the ordinary period, decided) and is never slower than an ordinary lead.
    homecoming_stalled_after_days: int = 15
    #: B8/D7: reward tiers (county setting, see DEFAULT_REWARD_TIERS). Tiers are marginal, like tax
    #: brackets: each rate applies only to the part of the base inside its tier, so a larger project
    #: never earns a smaller reward and the amount has no jump at a boundary.
    reward_tiers: tuple[RewardTier, ...] = DEFAULT_REWARD_TIERS
    #: County setting, not found nationally: the smallest actual fixed investment that earns a reward
    #: (local schemes often have one). Default 0: every landed project qualifies.
    reward_minimum_base: Decimal = Decimal(0)
    #: Rounding of the reward total (not found nationally): half up to this quantum, default one fen.
    reward_quantum: Decimal = Decimal("0.01")
    #: B8 (local practice): a reward is claimed within 1 year of completion — the claim is accepted up
    #: to and including the same calendar day 12 months later (29 Feb → 28 Feb).
    claim_window_months: int = 12
    # --- Two time axes: the day a fact took effect and the day it is recorded (docs/decisions/effective-dates.md) ---
    #: A fact may be recorded at most this many days after the day it took effect, with a reason (a year
    #: and a day, as membership and secondment). The rule reads the policy in force on the recording day.
    backdating_limit_days: int = 366
    #: The county's first day of records in Golden Bridge: leads dated before it are taken over from the
    #: paper register and need neither a reason nor the limit.
    records_kept_from: date = date(2026, 12, 1)

    def __post_init__(self) -> None:
        if self.backdating_limit_days < 0:
            raise ValueError("backdating_limit_days cannot be negative: 0 admits no fact entered late")
        tiers = self.reward_tiers
        if not tiers or tiers[0].from_amount != 0:
            raise ValueError("the first reward tier starts at 0 yuan")
        if any(b.from_amount <= a.from_amount for a, b in pairwise(tiers)):
            raise ValueError("reward tiers must start at strictly increasing amounts")
        if any(not 0 <= t.rate_per_mille <= PER_MILLE for t in tiers):
            raise ValueError("a reward rate is 0 to 1000 per mille: never negative, never more than the investment")
        # Bounds on typos, not rules of the scheme: each tier a claim reaches is a line of its event, so the 20,000
        # tiers a 1 MB publication holds made a claim's event of 2 MB, which the relay cannot publish (and every later
        # investment event waits behind it); a rate of 10^17 per mille paid rewards of 10^24 yuan.
        if len(tiers) > MOST_TIERS:
            raise ValueError(f"a reward scheme has at most {MOST_TIERS} tiers, not {len(tiers)}")
        if not 1 <= self.stalled_after_days <= MOST_STALL_DAYS or not 0 <= self.claim_window_months <= MOST_MONTHS:
            raise ValueError(f"the stall period is 1 to {MOST_STALL_DAYS} days and the claim window 0 to "
                             f"{MOST_MONTHS} months")
        if self.reward_quantum not in QUANTA or len(self.reward_quantum.as_tuple().digits) != 1:
            # quantize rounds to the quantum's exponent, not its value: 0.000001 paid rewards below the fen, and
            # 1.00 (equal to 1) rounded to the fen.
            raise ValueError("reward_quantum rounds to the fen, the jiao or the yuan: write 0.01, 0.1 or 1")
        if not 1 <= self.homecoming_stalled_after_days <= self.stalled_after_days:
            raise ValueError("the homecoming fast lane's stall period is at least one day and never longer than "
                             f"the ordinary one ({self.stalled_after_days} days)")

    def stall_days(self, homecoming: bool) -> int:
        """Days without progress after which a lead is stalled: the fast lane's for a homecoming lead."""
        return self.homecoming_stalled_after_days if homecoming else self.stalled_after_days


DEFAULT_INVESTMENT_POLICY = InvestmentPolicy(version="investment-2026.1", effective_from=date(2000, 1, 1))

DEFAULT_INVESTMENT_POLICIES: tuple[InvestmentPolicy, ...] = (DEFAULT_INVESTMENT_POLICY,)


def investment_policy_on(
    day: date, policies: tuple[InvestmentPolicy, ...] = DEFAULT_INVESTMENT_POLICIES
) -> InvestmentPolicy:
    """The investment policy in force on ``day``: the latest whose effective date is not after it.

    Handlers pass the policy in force on the completion date to ``ConfirmLanded`` and ``ClaimReward``
    (the reward rules known when the project landed) and the one in force on the day to ``due_items``.
    """
    in_force = [p for p in policies if p.effective_from <= day]
    if not in_force:
        raise NoPolicyInForce(f"no investment policy is in force on {day}; check the date")
    return max(in_force, key=lambda p: p.effective_from)


#: The investment policy as the county publishes changes to it (services/pure/policy_data.py, docs/policies.md).
POLICY_BOOK = PolicyBook(
    code={"investment": DEFAULT_INVESTMENT_POLICIES},
)
