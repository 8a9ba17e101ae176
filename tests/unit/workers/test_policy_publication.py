"""The migrant-worker services' county settings as published data: the rules table published whole, its
bureaus and endings by their names, checked at the door, in force from their day on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.pure.errors import DomainError
from services.pure.identity import Actor, Role
from services.pure.policy_data import (
    PolicyChangePublished,
    PublishPolicyChange,
    decide_publish,
    in_force,
    settings_json,
)
from services.workers.contract.events import Bureau, ServiceKind
from services.workers.policy import DEFAULT_WORKERS_POLICIES, DEFAULT_WORKERS_POLICY, POLICY_BOOK, Ending, KindRule

COUNTY = Actor(subject="admin", role=Role.COUNTY_ADMIN, org_id="county")
NEW_YEAR = date(2027, 1, 1)


def published(changes: dict[str, object]) -> tuple[PolicyChangePublished, ...]:
    cmd = PublishPolicyChange(actor=COUNTY, today=date(2026, 12, 1), policy="workers", effective_from=NEW_YEAR,
                              changes=changes, reason="county services plan 2027")
    return tuple(decide_publish((), cmd, POLICY_BOOK))


def _rules_with(kind: ServiceKind, **rule: object) -> dict[str, object]:
    """The published form of the whole table (as GET /v1/audit/policies/workers gives it) with one kind changed."""
    table: dict[str, dict[str, object]] = settings_json(DEFAULT_WORKERS_POLICY)["rules"]
    table[kind.value] = {**table[kind.value], **rule}
    return table


def test_the_rules_table_reads_back_as_published_json() -> None:
    rules = settings_json(DEFAULT_WORKERS_POLICY)["rules"]
    assert rules["micro_credit"] == {"bureau": "labour_bureau", "ending": "issue", "act_within_days": 7,
                                     "free": False}


def test_a_shorter_deadline_for_legal_aid_applies_from_its_day_on() -> None:
    changes = published({"rules": _rules_with(ServiceKind.LEGAL_AID, act_within_days=3),
                         "certificate_max_amount": "80000"})
    old = in_force(DEFAULT_WORKERS_POLICIES, changes, "workers", date(2026, 12, 31))
    new = in_force(DEFAULT_WORKERS_POLICIES, changes, "workers", NEW_YEAR)
    assert old == DEFAULT_WORKERS_POLICY
    assert new.rules[ServiceKind.LEGAL_AID] == KindRule(bureau=Bureau.JUSTICE, ending=Ending.DECIDE,
                                                         act_within_days=3, free=True)
    assert (new.certificate_max_amount, new.version) == (Decimal(80_000), "workers-2026.1+workers.1")


@pytest.mark.parametrize(("changes", "field"), [
    ({"rules": _rules_with(ServiceKind.PAPERS, bureau="public_security")}, "rules.papers.bureau"),
    ({"rules": _rules_with(ServiceKind.PAPERS, act_within_days=0)}, "changes"),  # a bureau has a day at least
    ({"rules": {"micro_credit": {"bureau": "labour_bureau", "ending": "issue", "act_within_days": 7}}},
     "changes"),  # the table is published whole: every kind names its bureau
    ({"rules": {**_rules_with(ServiceKind.PAPERS), "haircut": {}}}, "rules key"),
    ({"rules": ["labour_bureau"]}, "rules"),
    ({"group_max_workers": "many"}, "group_max_workers"),
])
def test_a_table_or_number_the_policy_refuses_is_refused_at_publication(changes: dict[str, object],
                                                                       field: str) -> None:
    with pytest.raises(DomainError) as refused:
        published(changes)
    assert refused.value.extra["field"] == field
