"""One training record holds at most 1,000 hours and 366 days (review of 2026-12-02: a development target's training
of 1e50 hours was recorded and counted toward the 24 hours the pre-review asks for)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.membership.domain import training as yearly
from services.pure.errors import DomainError
from tests.unit.membership.builders import record_training
from tests.unit.membership.development_builders import decide, dev_target, training

TOO_MUCH = "one training record holds at most 1000 hours and 366 days"


@pytest.mark.parametrize(("hours", "days"), [("1e50", 0), ("1000.5", 0), ("0", 367)])
def test_a_development_targets_training_past_the_bounds_is_refused(hours: str, days: int) -> None:
    with pytest.raises(DomainError, match=TOO_MUCH):
        decide(dev_target(), training(hours, days=days))


def test_a_development_targets_training_at_the_bounds_is_recorded() -> None:
    (event,) = decide(dev_target(), training("1000", days=366))
    assert (event.hours, event.days) == (Decimal(1000), 366)


def test_a_members_training_session_past_the_bounds_is_refused() -> None:
    with pytest.raises(DomainError, match=TOO_MUCH):
        yearly.decide(yearly.INITIAL, record_training(hours=Decimal("1000.01")), member_org_ids=frozenset({"b-1"}))
    (event,) = yearly.decide(yearly.INITIAL, record_training(hours=Decimal(1000)), member_org_ids=frozenset({"b-1"}))
    assert event.hours == Decimal(1000)
