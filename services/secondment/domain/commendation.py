"""Commendation for a major contribution (A): capital, projects or talent, each against its own threshold.

Pure. The secondment's contributions are tallied per kind; a kind the policy counts whose total reaches its
threshold qualifies. The first contribution that makes any kind qualify proposes the commendation (once per
secondment), naming every kind that qualified then, with the figures and the policy version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.secondment.contract.events import (
    CommendationKind,
    CommendationProposed,
    ContributionKind,
    ContributionRecorded,
)
from services.secondment.domain.secondment_state import Secondment
from services.secondment.policy import SecondmentPolicy


@dataclass(frozen=True, kw_only=True)
class Tally:
    """What a secondment has brought in: capital (yuan), projects (each one) and people (talent)."""

    capital_yuan: Decimal = Decimal(0)
    projects: int = 0
    talent_people: int = 0

    def total(self, kind: CommendationKind) -> Decimal:
        return {CommendationKind.CAPITAL: self.capital_yuan, CommendationKind.PROJECT: Decimal(self.projects),
                CommendationKind.TALENT: Decimal(self.talent_people)}[kind]


def tally(contributions: Iterable[ContributionRecorded]) -> Tally:
    capital, projects, people = Decimal(0), 0, 0
    for c in contributions:
        if c.kind is ContributionKind.CAPITAL and c.amount_yuan is not None:
            capital += c.amount_yuan
        elif c.kind is ContributionKind.PROJECT:
            projects += 1
        elif c.kind is ContributionKind.TALENT:
            # A talent contribution recorded before ``people`` existed introduced one person.
            people += c.people or 1
    return Tally(capital_yuan=capital, projects=projects, talent_people=people)


def threshold(policy: SecondmentPolicy, kind: CommendationKind) -> Decimal:
    return {CommendationKind.CAPITAL: policy.commendation_capital_threshold_yuan,
            CommendationKind.PROJECT: Decimal(policy.commendation_project_threshold),
            CommendationKind.TALENT: Decimal(policy.commendation_talent_threshold)}[kind]


#: How each kind's figure reads: "capital 1200000 yuan", "projects 2", "talent 5 people".
WORDING = {CommendationKind.CAPITAL: "capital {} yuan", CommendationKind.PROJECT: "projects {}",
           CommendationKind.TALENT: "talent {} people"}


def qualified(figures: Tally, policy: SecondmentPolicy) -> tuple[CommendationKind, ...]:
    """The kinds the policy counts whose total is at or above their threshold, in the order A names them."""
    return tuple(k for k in CommendationKind
                 if k in policy.commendation_kinds and figures.total(k) >= threshold(policy, k))


def explain(figures: Tally, policy: SecondmentPolicy, kinds: Iterable[CommendationKind]) -> str:
    """``capital 1200000 yuan (threshold 1000000); projects 2 (threshold 2)`` for the kinds given."""
    return "; ".join(f"{WORDING[k].format(_plain(figures.total(k)))} (threshold {_plain(threshold(policy, k))})"
                     for k in kinds)


def _plain(n: Decimal) -> str:
    return format(n, "f")


def proposal(state: Secondment, contributions: tuple[ContributionRecorded, ...], policy: SecondmentPolicy, *,
             proposed_on: date, reason: str | None, actor: str) -> CommendationProposed | None:
    """The commendation proposal the contributions earn under ``policy``, or None when no counted kind reached
    its threshold. ``reason`` None: the proposal is automatic and its reason is the figures."""
    figures = tally(contributions)
    kinds = qualified(figures, policy)
    if not kinds:
        return None
    return CommendationProposed(
        secondment_id=state.secondment_id, cadre_id=state.cadre_id, proposed_on=proposed_on,
        capital_total_yuan=figures.capital_yuan, threshold_yuan=policy.commendation_capital_threshold_yuan,
        reason=reason or f"major contribution: {explain(figures, policy, kinds)}", actor=actor,
        policy_version=policy.version, qualified=kinds, counted=policy.commendation_kinds,
        projects=figures.projects, project_threshold=policy.commendation_project_threshold,
        talent_people=figures.talent_people, talent_threshold=policy.commendation_talent_threshold,
    )


def not_yet(state: Secondment, policy: SecondmentPolicy) -> str:
    """Why a proposal is refused: every counted kind's figure against its threshold."""
    if not policy.commendation_kinds:
        return f"the county's policy {policy.version} counts no kind of contribution for a commendation"
    figures = tally(state.contributions)
    return (f"a commendation needs a major contribution: a counted kind at its threshold (policy {policy.version}); "
            f"{state.secondment_id} has {explain(figures, policy, policy.commendation_kinds)}")
