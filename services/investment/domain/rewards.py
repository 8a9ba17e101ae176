"""Referral rewards (B8): the first referrer of a landed project claims per-mille of its actual fixed investment.

Tiers are marginal (policy module): each tier's rate applies to the part of the base inside it, and
the event shows every line (tier, bounds, rate, portion, amount) and the rounded total. One reward
per lead; duplicates are never rewarded (the first registration is the lead that lands).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from services.investment.contract.commands import ClaimReward
from services.investment.contract.events import LeadStage, RewardClaimed, RewardLine
from services.investment.domain.lead_state import Lead, existing, not_duplicate, require_scope
from services.investment.policy import InvestmentPolicy, RewardTier
from services.pure.dates import not_future
from services.pure.errors import DomainError, Forbidden, StateConflict

PER_MILLE = Decimal(1000)


def reward_lines(base: Decimal, tiers: tuple[RewardTier, ...]) -> tuple[RewardLine, ...]:
    """The marginal computation: one line per tier the base reaches, amounts exact (not rounded)."""
    lines: list[RewardLine] = []
    for number, tier in enumerate(tiers, start=1):
        if base <= tier.from_amount and number > 1:
            break
        upper = tiers[number].from_amount if number < len(tiers) else None
        portion = (min(base, upper) if upper is not None else base) - tier.from_amount
        lines.append(RewardLine(
            tier=number, from_amount=tier.from_amount, to_amount=upper, rate_per_mille=tier.rate_per_mille,
            portion=portion, amount=portion * tier.rate_per_mille / PER_MILLE,
        ))
    return tuple(lines)


def reward_amount(lines: tuple[RewardLine, ...], quantum: Decimal) -> Decimal:
    """The total of the lines, rounded half up to ``quantum`` (a fen by default)."""
    return sum((line.amount for line in lines), Decimal(0)).quantize(quantum, rounding=ROUND_HALF_UP)


def compute_reward(base: Decimal, policy: InvestmentPolicy) -> tuple[tuple[RewardLine, ...], Decimal]:
    lines = reward_lines(base, policy.reward_tiers)
    return lines, reward_amount(lines, policy.reward_quantum)


def claim(state: Lead, command: ClaimReward, policy: InvestmentPolicy) -> RewardClaimed:
    existing(state, command.lead_id)
    not_duplicate(state, "the reward is claimed by the first referrer")
    require_scope(command.actor, state, "claim the reward of this lead")
    if command.claimant_id != state.registrant_id:
        raise Forbidden(
            f"only the first referrer {state.registrant_id} may claim the reward of lead {state.lead_id}, "
            f"not {command.claimant_id}"
        )
    if state.reward_claimed_on is not None:
        raise StateConflict(
            f"the reward of lead {state.lead_id} was already claimed on {state.reward_claimed_on}; "
            "one reward per project"
        )
    if state.stage is not LeadStage.LANDED or state.completed_on is None or state.claim_until is None:
        raise DomainError(
            f"lead {state.lead_id} is {state.stage.value}; a reward is claimed once the project is confirmed landed"
        )
    base = state.actual_fixed_investment or Decimal(0)
    not_future(command.claimed_on, command.today, "the claim date")
    if command.claimed_on < state.completed_on:
        raise DomainError(f"the claim date {command.claimed_on} is before completion on {state.completed_on}")
    if command.claimed_on > state.claim_until:
        raise DomainError(
            f"the claim window closed on {state.claim_until} ({policy.claim_window_months} months after "
            f"completion on {state.completed_on}); this claim on {command.claimed_on} is too late"
        )
    if base < policy.reward_minimum_base:
        raise DomainError(
            f"the actual fixed investment {base} yuan is below the {policy.reward_minimum_base} yuan "
            f"a reward needs (policy {policy.version})"
        )
    lines, amount = compute_reward(base, policy)
    return RewardClaimed(
        lead_id=state.lead_id, claimant_kind=state.registrant_kind, claimant_id=command.claimant_id,
        claimed_on=command.claimed_on, completed_on=state.completed_on, claim_until=state.claim_until,
        base=base, lines=lines, amount=amount, actor=command.actor.label, policy_version=policy.version,
    )
