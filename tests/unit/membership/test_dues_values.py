"""The dues values the monthly run makes without their frozen dataclasses' own ``__init__`` and ``replace``
(services/membership/domain/services.pure.frozen.made, dues_state.updated) are the values the constructors make: equal,
with the same fields and the same encoded bytes, so the events and the folded accounts are exactly as before."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.kernel.events import encode
from services.membership.contract.commands.dues import AssessMonth
from services.membership.contract.events.common import DuesCategory
from services.membership.contract.events.dues import DuesAccountOpened, MonthAssessed, RoundingMode
from services.membership.domain import dues
from services.membership.domain.dues_account import _assessed_month
from services.membership.domain.dues_scale import Computation, compute, rounded
from services.membership.domain.dues_state import DuesAccount, IncomeEntry, assessment, updated
from services.membership.policy.dues import DEFAULT_DUES_POLICY, DUES_SCALE_2008
from services.pure.errors import DomainError
from services.pure.frozen import made
from tests.unit.membership.test_dues import COUNTY, KEEPERS, c, opening


def _same(value: Any, expected: Any) -> None:
    assert value == expected and type(value) is type(expected)
    assert {f.name: getattr(value, f.name) for f in fields(value)} == vars(expected)
    assert encode(value) == encode(expected)


def _opened(base: str = "4000.00") -> DuesAccount:
    (event,) = dues.decide(dues.INITIAL, opening(base=Decimal(base)), policy=DEFAULT_DUES_POLICY,
                                 keepers=KEEPERS)
    return dues.evolve(dues.INITIAL, event)


def test_an_opened_account_is_the_account_the_constructor_makes() -> None:
    (event,) = dues.decide(dues.INITIAL, opening(), policy=DEFAULT_DUES_POLICY, keepers=KEEPERS)
    assert isinstance(event, DuesAccountOpened)
    income = IncomeEntry(applies_from=event.owed_from, category=event.category, base=event.base,
                         flat_amount=event.flat_amount)
    _same(dues.evolve(dues.INITIAL, event), DuesAccount(exists=True, member_id=event.member_id, org_id=event.org_id,
                                                        owed_from=event.owed_from, incomes=(income,)))


@pytest.mark.parametrize("base", ["0.00", "2800.00", "3000", "4200.50", "10000.01", "12500.00"])
def test_an_assessment_is_the_event_the_constructor_makes(base: str) -> None:
    state = _opened(base)
    event = assessment(state, "2025-06", DEFAULT_DUES_POLICY, date(2025, 6, 3))
    c_ = compute(DUES_SCALE_2008, DuesCategory.WAGE_EARNER, Decimal(base))
    _same(c_, Computation(category=c_.category, base_kind=c_.base_kind, base=c_.base, bracket=c_.bracket,
                          bracket_up_to=c_.bracket_up_to, rate=c_.rate, amount=c_.amount,
                          policy_version=c_.policy_version))
    _same(event, MonthAssessed(member_id=state.member_id, org_id=state.org_id, month="2025-06", category=c_.category,
                               base_kind=c_.base_kind, base=c_.base, bracket=c_.bracket,
                               bracket_up_to=c_.bracket_up_to, rate=c_.rate, standard_amount=c_.amount,
                               amount=c_.amount, adjustment=event.adjustment, assessed_on=date(2025, 6, 3),
                               policy_version=c_.policy_version))


def test_a_command_made_is_the_command_the_constructor_makes() -> None:
    values: dict[str, Any] = {"actor": COUNTY, "today": date(2025, 6, 3), "member_id": "m-1", "month": "2025-06"}
    _same(made(AssessMonth, **values), AssessMonth(**values))


def test_an_updated_account_is_what_replace_makes_and_the_old_one_is_unchanged() -> None:
    state = dues.evolve(_opened(), dues.decide(_opened(), c(AssessMonth, month="2025-06"))[0])
    before = vars(state).copy()
    changes: dict[str, Any] = {"org_id": "b-2", "previous_org_ids": ("b-1",), "total_paid": Decimal("3.00")}
    _same(updated(state, **changes), replace(state, **changes))
    assert vars(state) == before


def test_an_update_naming_no_field_of_the_account_is_refused() -> None:
    with pytest.raises(TypeError, match="no field orgid"):
        updated(_opened(), orgid="b-2")


@pytest.mark.parametrize("mode", list(RoundingMode))
def test_every_rounding_mode_rounds_by_its_own_name(mode: RoundingMode) -> None:
    scale = replace(DUES_SCALE_2008, rounding=mode)
    for value in ("2.345", "-2.345", "2.355", "0.005", "7.1"):
        assert rounded(Decimal(value), scale) == Decimal(value).quantize(Decimal("0.01"), rounding=mode.value)


def test_the_month_assessed_is_checked_alike_every_time_it_is_asked() -> None:
    assert _assessed_month("2025-06", date(2025, 6, 1)) == ("2025-06", True)
    assert _assessed_month("2025-07", date(2025, 6, 30)) == ("2025-07", False)
    for _ in range(2):  # a refusal is not remembered: it is raised again
        with pytest.raises(DomainError, match="like 2026-07"):
            _assessed_month("2025-13", date(2025, 6, 1))
