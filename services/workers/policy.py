"""Migrant-worker service policy: which bureau acts on each kind of case, in how many days, and the ceiling
of a micro-credit certificate (seed 四.5, domain.md A "Department services").

The decision names the departments and says notarisation is free and training free for poor migrants; it
gives no deadlines and no amounts. Every number here is a county setting with a stated default, effective-
dated like every county policy (services/investment/policy.py); a referral records the version it applied.

Bureaus: the decision's 劳动保障部门 issues the migrant-worker certificate and organises outward labour;
it is also the county's window for training (with the poverty-relief office) and for ID and construction
papers (with public security and construction, who have no role on the system yet). The credit cooperative
(金融部门) decides the loan on the certificate; the justice bureau (司法行政部门) notarises free and gives
legal aid; the insurer (人寿保险部门) issues the personal-insurance policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.pure.errors import NoPolicyInForce
from services.pure.policy_data import PolicyBook
from services.workers.contract.events import Bureau, ServiceKind


class Ending(StrEnum):
    """How a bureau ends its part of a case: it issues a document, or it decides."""

    ISSUE = "issue"
    DECIDE = "decide"


@dataclass(frozen=True, kw_only=True)
class KindRule:
    bureau: Bureau
    ending: Ending
    #: Days from the referral to the bureau's issue or decision (its deadline, ``due_by``).
    act_within_days: int
    #: The decision makes it free: any fee is refused.
    free: bool = False


#: County settings, not found in the decision: defaults a county office can meet.
DEFAULT_RULES: dict[ServiceKind, KindRule] = {
    ServiceKind.MICRO_CREDIT: KindRule(bureau=Bureau.LABOUR, ending=Ending.ISSUE, act_within_days=7),
    ServiceKind.INSURANCE: KindRule(bureau=Bureau.INSURANCE, ending=Ending.ISSUE, act_within_days=10),
    ServiceKind.TRAINING: KindRule(bureau=Bureau.LABOUR, ending=Ending.ISSUE, act_within_days=30, free=True),
    ServiceKind.NOTARISATION: KindRule(bureau=Bureau.JUSTICE, ending=Ending.ISSUE, act_within_days=15, free=True),
    ServiceKind.LEGAL_AID: KindRule(bureau=Bureau.JUSTICE, ending=Ending.DECIDE, act_within_days=7, free=True),
    ServiceKind.PAPERS: KindRule(bureau=Bureau.LABOUR, ending=Ending.ISSUE, act_within_days=15),
}


@dataclass(frozen=True, kw_only=True)
class WorkersPolicy:
    version: str
    effective_from: date
    rules: dict[ServiceKind, KindRule] = field(default_factory=lambda: dict(DEFAULT_RULES))
    #: The credit cooperative's days to decide a loan once the certificate is referred to it.
    loan_decision_days: int = 10
    #: County setting: the largest micro-credit certificate (小额信用贷款), in yuan. Default 50,000.
    certificate_max_amount: Decimal = Decimal(50_000)
    #: A labour-export group's size, county setting.
    group_max_workers: int = 200

    def __post_init__(self) -> None:
        if set(self.rules) != set(ServiceKind):
            raise ValueError("the policy names a bureau for every kind of service")
        if any(r.act_within_days < 1 for r in self.rules.values()) or self.loan_decision_days < 1:
            raise ValueError("a bureau has at least one day to act")
        if self.certificate_max_amount <= 0 or self.group_max_workers < 1:
            raise ValueError("the certificate ceiling and the group size are positive")


DEFAULT_WORKERS_POLICY = WorkersPolicy(version="workers-2026.1", effective_from=date(2000, 1, 1))
DEFAULT_WORKERS_POLICIES: tuple[WorkersPolicy, ...] = (DEFAULT_WORKERS_POLICY,)


def workers_policy_on(day: date, policies: tuple[WorkersPolicy, ...] = DEFAULT_WORKERS_POLICIES) -> WorkersPolicy:
    """The policy in force on ``day``: the latest whose effective date is not after it."""
    in_force = [p for p in policies if p.effective_from <= day]
    if not in_force:
        raise NoPolicyInForce(f"no migrant-worker service policy is in force on {day}; check the date")
    return max(in_force, key=lambda p: p.effective_from)


#: The county publishes changes to it with ``POST /v1/policies/workers`` (policy ``workers``); ``rules`` is
#: published whole — every kind with its bureau, its ending, its days and whether it is free.
POLICY_BOOK = PolicyBook(code={"workers": DEFAULT_WORKERS_POLICIES})
