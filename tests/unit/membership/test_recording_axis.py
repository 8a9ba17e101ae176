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
    ("PublishPolicyChange", "effective_from"): "policy data, in force from a day after publication (not a fact)",
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


# --- The handlers' one wrapper, per service: the policy of the recording day, the reason on every event ----

AFTER_FIRST_DAY = date(2028, 6, 1)  # more than the limit after every service's records_kept_from (2026-12-01)


def _contact(**overrides: Any) -> Any:
    from tests.unit.membership.builders import record_contact

    return dataclasses.replace(record_contact(), **{"today": AFTER_FIRST_DAY, "contacted_on": AFTER_FIRST_DAY,
                                                    **overrides})


def _event() -> Any:
    from services.membership.contract.events.meetings import MeetingKind, MeetingRecorded

    return MeetingRecorded(meeting_id="m", org_id="b", kind=MeetingKind.GENERAL_MEETING, held_on=AFTER_FIRST_DAY,
                           present_ids=(), certificate_holders_present=(), absent_ids=(), minutes_ref="x",
                           entitled_voters=1, voters_present=1, quorum_met=True, actor="a", policy_version="p")


class PolicyStore:
    """The one stream the recording rule reads: the service's published policy changes (none unless given)."""

    def __init__(self, *published: Any) -> None:
        self.published = published

    async def load(self, stream_id: str, **_: Any) -> Any:
        from types import SimpleNamespace

        from services.kernel.store import RecordedEvent, Stream

        assert stream_id == "policy", stream_id
        events = [RecordedEvent(envelope=SimpleNamespace(stream_type="policy"), event=e) for e in self.published]  # type: ignore[arg-type]
        return Stream(stream_id=stream_id, version=len(events), events=events)


NONE = PolicyStore()

WRAPPERS = {
    "membership": "services.membership.handlers.records",
    "secondment": "services.secondment.handlers",
    "investment": "services.investment.handlers",
}


@pytest.mark.parametrize("service", sorted(WRAPPERS))
async def test_a_late_fact_after_the_first_day_of_records_needs_a_reason_and_carries_it_on_its_events(
        service: str) -> None:
    import importlib

    from services.pure.errors import DomainError

    recorded = importlib.import_module(WRAPPERS[service]).recorded
    decide = recorded(NONE, _contact(contacted_on=date(2028, 5, 20), backdating_reason=" phoned from Dongguan "),
                      lambda state: [_event()])
    [event] = await decide(None)
    assert event.backdating_reason == "phoned from Dongguan"
    with pytest.raises(DomainError, match="backdating_reason"):
        await recorded(NONE, _contact(contacted_on=date(2028, 5, 20)), lambda state: [_event()])(None)
    with pytest.raises(DomainError, match="at most 366 days"):
        await recorded(NONE, _contact(contacted_on=date(2027, 5, 30), backdating_reason="old"), lambda state: [])(None)
    [on_the_day] = await recorded(NONE, _contact(), lambda state: [_event()])(None)
    assert on_the_day.backdating_reason is None


async def test_a_refused_late_fact_is_refused_before_its_rules_read_anything() -> None:
    from services.membership.handlers.records import recorded
    from services.pure.errors import DomainError

    def never(state: Any) -> list[Any]:
        raise AssertionError("the rules ran for a refused date")

    with pytest.raises(DomainError, match="in the future"):
        await recorded(NONE, _contact(contacted_on=date(2028, 6, 2)), never)(None)


async def test_a_fact_from_before_the_first_day_of_records_is_taken_over_without_a_reason() -> None:
    from services.membership.handlers.records import recorded

    [event] = await recorded(NONE, _contact(contacted_on=date(2026, 11, 30)), lambda state: [_event()])(None)
    assert event.backdating_reason is None


@pytest.mark.parametrize("service", sorted(WRAPPERS))
async def test_a_backdating_limit_the_county_published_applies_from_its_day_on(service: str) -> None:
    """Published on 2028-05-01: 30 days from 2028-06-01 on. A fact of 2028-05-20 entered on 2028-05-31 is within
    the old 366 days; the same fact entered on 2028-06-21 (32 days late) is refused by the new 30."""
    import importlib

    from services.pure.errors import DomainError
    from services.pure.identity import Actor, Role
    from services.pure.policy_data import PublishPolicyChange, decide_publish

    module = importlib.import_module(WRAPPERS[service])
    book = {"membership": "services.membership.policy.book", "secondment": "services.secondment.policy",
            "investment": "services.investment.policy"}[service]
    change = decide_publish((), PublishPolicyChange(
        actor=Actor(subject="admin", role=Role.COUNTY_ADMIN), today=date(2028, 5, 1), policy=service,
        effective_from=AFTER_FIRST_DAY, changes={"backdating_limit_days": 30}, reason="county rule 2028"),
        importlib.import_module(book).POLICY_BOOK)
    store = PolicyStore(*change)
    late = {"contacted_on": date(2028, 5, 20), "backdating_reason": "phoned"}
    [event] = await module.recorded(store, _contact(today=date(2028, 5, 31), **late), lambda state: [_event()])(None)
    assert event.backdating_reason == "phoned"
    with pytest.raises(DomainError, match="at most 30 days"):
        await module.recorded(store, _contact(today=date(2028, 6, 21), **late), lambda state: [_event()])(None)
