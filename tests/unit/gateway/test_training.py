"""The training read model: hours per member and year, summed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.gateway.readmodels import training
from services.membership.contract.events.meetings import TrainingRecorded
from tests.unit.gateway.builders import Q, envelope, event, row, target


def test_training_hours_add_up_in_the_year_they_were_trained() -> None:
    ops = training.apply(Q, envelope(), event(TrainingRecorded, member_id="m-1", hours=Decimal("3.5"),
                                              trained_on=date(2023, 12, 30)))
    assert target(ops[0]) == "training_view"
    assert (row(ops[0])["year"], row(ops[0])["hours"]) == (2023, Decimal("3.5"))
    assert f"hours = {Q}.training_view.hours + EXCLUDED.hours" in ops[0][0]
