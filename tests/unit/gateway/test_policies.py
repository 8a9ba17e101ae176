"""The policy read model: each published change kept under the service that published it, a redelivery
changing nothing, and the policy in force read back as the services decide it."""

from __future__ import annotations

import dataclasses
from datetime import date

from services.gateway.readmodels import policies
from services.pure.policy_data import PolicyChangePublished, in_force
from tests.unit.gateway.builders import Q, envelope, row, target


def _published(change_id: str = "secondment.1", **changes: object) -> PolicyChangePublished:
    return PolicyChangePublished(policy="secondment", change_id=change_id, effective_from=date(2027, 1, 1),
                                 changes=dict(changes) or {"check_in_interval_months": 2}, reason="county decision",
                                 published_on=date(2026, 12, 1), actor="county_admin:chen")


def test_a_published_change_is_kept_under_the_service_named_by_its_wire_type() -> None:
    env = dataclasses.replace(envelope(position=7), type="gb.secondment.policy_published.v1")
    ops = policies.apply(Q, env, _published())
    assert [target(op) for op in ops] == ["policy_changes"]
    assert (row(ops[0])["service"], row(ops[0])["change_id"], row(ops[0])["position"]) == (
        "secondment", "secondment.1", 7)
    assert row(ops[0])["changes"] == '{"check_in_interval_months":2}'


def test_a_redelivered_change_changes_nothing() -> None:
    env = dataclasses.replace(envelope(), type="gb.investment.policy_published.v1")
    assert "ON CONFLICT (service, change_id) DO NOTHING" in policies.apply(Q, env, _published())[0][0]


def test_other_events_are_not_projected() -> None:
    assert policies.apply(Q, envelope(), object()) == []


def test_every_publishing_service_has_its_book() -> None:
    assert set(policies.BOOKS) == {"membership", "secondment", "investment", "workers"}
    for service, book in policies.BOOKS.items():
        for name, versions in book.code.items():
            assert in_force(versions, (), name, date(2026, 12, 1)) is not None, (service, name)
