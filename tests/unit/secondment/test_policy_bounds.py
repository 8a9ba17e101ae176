"""The secondment policy a county publishes is refused past the bounds of a typo (hostile review 2026-12-02): a term of
0 months ended a secondment the day before its departure, an interval of 0 made every check-in late."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.secondment.contract.commands import RecordCheckIn
from services.secondment.policy import DEFAULT_SECONDMENT_POLICY
from tests.unit.secondment.builders import away, decide, s


@pytest.mark.parametrize(("changes", "says"), [
    ({"term_months": 36_500}, "term_months is 1 to 120 months"),
    ({"term_months": 0}, "term_months is 1 to 120"),
    ({"check_in_interval_months": 36_500}, "check_in_interval_months is 1 to 120"),
    ({"check_in_interval_months": 0}, "check_in_interval_months is 1 to 120"),
    ({"max_extension_months": -1}, "max_extension_months is 0 to 120"),
    ({"township_target_percent": Decimal(101)}, "0 to 100"),
])
def test_a_policy_past_the_bounds_of_a_typo_is_refused(changes: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        replace(DEFAULT_SECONDMENT_POLICY, **changes)


def test_a_policy_at_its_bounds_decides_a_check_in() -> None:
    policy = replace(DEFAULT_SECONDMENT_POLICY, term_months=120, check_in_interval_months=120,
                     max_extension_months=120, township_target_percent=Decimal(100))
    (event,) = decide(away(), s(RecordCheckIn, checked_in_on=date(2024, 5, 1), thinking="well", work="busy"),
                      policy=policy)
    assert event.due_on == date(2034, 3, 1)
