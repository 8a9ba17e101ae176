"""停薪留职 switched on by a published change: the real handlers, on an in-memory store, decide by the fact's day."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from services.kernel.store import AppendResult, CommandMeta, RecordedEvent, Stream
from services.pure.errors import DomainError
from services.pure.policy_data import POLICY_STREAM, PublishPolicyChange
from services.secondment import handlers
from services.secondment.contract.commands import EndSecondment
from services.secondment.contract.events import EndOutcome, UnpaidLeaveGranted
from services.secondment.domain import secondments
from tests.unit.secondment.builders import COUNTY, approve, decide, depart, nominate, s

SWITCHED_ON = date(2027, 1, 1)
DEPARTED = date(2025, 1, 10)  # the two-year term's last day is 2027-01-09
META = CommandMeta(actor="test", occurred_at=datetime(2026, 11, 30, tzinfo=UTC), correlation_id="c-1")


class FakeStore:
    """Streams in memory: what ``execute`` and the policy read use (load, append, the idempotency lookup)."""

    def __init__(self) -> None:
        self.streams: dict[str, list[RecordedEvent[Any]]] = {}

    async def load(self, stream_id: str, **_: Any) -> Stream[Any]:
        events = self.streams.get(stream_id, [])
        return Stream(stream_id=stream_id, version=len(events), events=list(events))

    async def lookup_idempotency(self, *_: Any) -> None:
        return None

    async def append(self, stream: Stream[Any], stream_type: str, events: Any, meta: CommandMeta) -> AppendResult:
        recorded = self.streams.setdefault(stream.stream_id, [])
        recorded.extend(RecordedEvent(envelope=SimpleNamespace(stream_type=stream_type), event=e) for e in events)
        return AppendResult(stream_id=stream.stream_id, stream_version=len(recorded), first_position=1,
                            last_position=len(recorded))


def a_cadre_away_and_the_switch_published() -> FakeStore:
    """A cadre away since 2025-01-10; on 2026-11-30 the county switched 停薪留职 on from 2027-01-01."""
    store = FakeStore()
    state, events = secondments.INITIAL, []
    for command in (nominate(), approve(), depart(DEPARTED)):
        for event in decide(state, command):
            state = secondments.evolve(state, event)
            events.append(RecordedEvent(envelope=SimpleNamespace(stream_type="secondment"), event=event))
    store.streams["s-1"] = events
    publish = PublishPolicyChange(actor=COUNTY, today=date(2026, 11, 30), policy="secondment",
                                  effective_from=SWITCHED_ON, changes={"unpaid_leave_allowed": True},
                                  reason="the county confirmed the legal basis of 停薪留职")
    asyncio.run(handlers.publish_policy_change(store, publish, META))  # type: ignore[arg-type]
    return store


def unpaid_leave(decided_on: date) -> EndSecondment:
    command: EndSecondment = s(EndSecondment, outcome=EndOutcome.UNPAID_LEAVE, last_day=date(2027, 1, 9),
                               decided_on=decided_on, today=date(2027, 1, 5), backdating_reason="minutes filed late")
    return command


def test_unpaid_leave_decided_the_day_before_the_switch_is_refused() -> None:
    store = a_cadre_away_and_the_switch_published()
    with pytest.raises(DomainError, match="停薪留职"):
        asyncio.run(handlers.secondment_step(store, unpaid_leave(date(2026, 12, 31)), META))  # type: ignore[arg-type]


def test_unpaid_leave_decided_on_the_day_of_the_switch_is_granted_under_the_published_version() -> None:
    store = a_cadre_away_and_the_switch_published()
    asyncio.run(handlers.secondment_step(store, unpaid_leave(SWITCHED_ON), META))  # type: ignore[arg-type]
    granted = store.streams["s-1"][-1].event
    assert isinstance(granted, UnpaidLeaveGranted)
    assert granted.policy_version == "secondment-2026.1+secondment.1"
    assert [r.event.change_id for r in store.streams[POLICY_STREAM]] == ["secondment.1"]


def test_the_five_percent_and_the_check_in_interval_are_published_numbers() -> None:
    from services.pure.policy_data import decide_publish, in_force
    from services.secondment.policy import DEFAULT_SECONDMENT_POLICIES, POLICY_BOOK

    cmd = PublishPolicyChange(actor=COUNTY, today=date(2026, 11, 30), policy="secondment", effective_from=SWITCHED_ON,
                              changes={"township_target_percent": "6", "check_in_interval_months": 2},
                              reason="county decision 2027")
    changes = decide_publish((), cmd, POLICY_BOOK)
    before = in_force(DEFAULT_SECONDMENT_POLICIES, changes, "secondment", date(2026, 12, 31))
    after = in_force(DEFAULT_SECONDMENT_POLICIES, changes, "secondment", SWITCHED_ON)
    assert (before.required_out(50), before.check_in_interval_months) == (3, 3)  # ceil(2.5)
    assert (after.required_out(50), after.check_in_interval_months) == (3, 2)  # 6 % of 50 = 3
    assert (before.required_out(40), after.required_out(40)) == (2, 3)  # 2 and ceil(2.4)
