"""Every dated command of membership, secondment and investment is under the one rule of the recording axis."""

from __future__ import annotations

import dataclasses
import typing
from datetime import date
from typing import Any

import pytest

from services.investment.contract.routes import ROUTES as INVESTMENT
from services.kernel.bodies import body_model
from services.membership.contract.routes import ROUTES as MEMBERSHIP
from services.secondment.contract.routes import ROUTES as SECONDMENT

#: Dates on commands that are not the day the command's fact took effect, each with why.
NOT_EFFECTIVE = {
    ("RegisterMember", "joined_on"): "an attribute of the member (decades back), not the registration's day",
    ("OpenAccount", "admitted_on"): "the member's admission, an attribute the account starts from",
    ("SubmitApplication", "birth_date"): "the applicant's birth date",
    ("PreReview", "leaving_on"): "a day the target is expected to leave (future)",
    ("PostponeElection", "new_due_on"): "the new due day of the election (future)",
    ("AdvanceElection", "new_due_on"): "the new due day of the election",
    ("RegisterInflow", "certificate_issued_on"): "the other organisation's certificate, dated by it",
    ("RegisterInflow", "certificate_valid_until"): "the other organisation's certificate's validity",
    ("RequestEarlyEnd", "last_day"): "the last day away asked for (may be ahead)",
    ("EndSecondment", "last_day"): "the last day away (may be ahead, decided before it)",
    ("PublishDuesScale", "effective_from"): "policy data, in force from a day (not a fact)",
}

COMMANDS = sorted({route.command for route in (*MEMBERSHIP, *SECONDMENT, *INVESTMENT)}, key=lambda c: c.__name__)


def _dates(command: type[Any]) -> list[str]:
    hints = typing.get_type_hints(command)
    return [f.name for f in dataclasses.fields(command)
            if f.name != "today" and date in (hints[f.name], *typing.get_args(hints[f.name]))]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.__name__)
def test_every_date_of_a_command_is_its_effective_date_or_said_not_to_be(command: type[Any]) -> None:
    effective = getattr(command, "effective_dates", ())
    for name in _dates(command):
        assert name in effective or (command.__name__, name) in NOT_EFFECTIVE, (
            f"{command.__name__}.{name}: add it to effective_dates or say here why it is not the fact's day")
    for name in effective:
        assert name in _dates(command), f"{command.__name__}.effective_dates names {name}, not a date field"


@pytest.mark.parametrize("command", [c for c in COMMANDS if getattr(c, "effective_dates", ())],
                         ids=lambda c: c.__name__)
def test_every_dated_command_may_carry_a_backdating_reason(command: type[Any]) -> None:
    fields = {f.name: f for f in dataclasses.fields(command)}
    if isinstance(getattr(command, "backdating_reason", None), property):
        assert "reason" in fields, "a correction's own reason stands for its backdating reason"
        return
    assert "backdating_reason" in fields and fields["backdating_reason"].default is None


@pytest.mark.parametrize("route", [r for r in (*MEMBERSHIP, *SECONDMENT, *INVESTMENT)
                                   if getattr(r.command, "effective_dates", ())],
                         ids=lambda r: r.path)
def test_every_dated_commands_body_takes_its_dates_and_a_backdating_reason(route: Any) -> None:
    body = route.body or body_model(route.command, route.body_excludes)
    wanted = set(route.command.effective_dates)
    if not isinstance(getattr(route.command, "backdating_reason", None), property):
        wanted.add("backdating_reason")
    assert wanted <= set(body.model_fields), f"{route.path}: the body lacks {wanted - set(body.model_fields)}"
