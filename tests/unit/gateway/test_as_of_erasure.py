"""Erasure binds history too: a replay as of T sets aside the erasures recorded after T and applies them at the
end with the live read models' own statements; a kept copy is checked against the live erasures."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.gateway import as_of_queue, replay
from services.gateway.readmodels import PROJECTION, development
from services.gateway.readmodels.members import ERASED_NAME
from services.kernel.events import Envelope, encode
from services.membership.contract.events import REGISTRY as MEMBERSHIP
from services.membership.contract.events.members import PersonalDataErased
from tests.unit.gateway.builders import Q, target

T = datetime(2026, 6, 30, 10, 0, tzinfo=UTC)
ERASED = "gb.membership.personal_data_erased.v1"


def _envelope(position: int, recorded_at: datetime | None, *, kind: str = ERASED, version: int = 5,
              source: str = MEMBERSHIP.source, data: bytes = b"{}") -> Envelope:
    return Envelope(id=uuid.uuid4(), source=source, type=kind, time=T, subject="m-1", stream_id="m-1",
                    stream_type="member", stream_version=version, actor="a", correlation_id="c", causation_id=None,
                    data=data, prev_hash=None, hash=b"\0" * 32, position=position, recorded_at=recorded_at)


def _erasure(position: int, recorded_at: datetime | None, person: str = "m-1") -> Envelope:
    event = PersonalDataErased(member_id=person, erased_on=date(2026, 7, 2), key_id="k-1", reason="PIPL art. 47",
                               actor="county-admin")
    return _envelope(position, recorded_at, data=encode(event))


def test_the_erasure_event_types_are_membership_s_personal_data_erased() -> None:
    assert {(MEMBERSHIP.source, ERASED)} == replay.ERASURES


def test_an_erasure_recorded_after_as_of_is_set_aside_not_applied_and_its_position_not_counted() -> None:
    done = replay.Replayed(as_of=T)
    before, later = _erasure(7, T - timedelta(seconds=1)), _erasure(9, T + timedelta(seconds=1))
    resent = dataclasses.replace(later)  # the relay publishes at least once: the same event again
    other = _envelope(8, T + timedelta(microseconds=1), kind="gb.membership.outflow_registered.v2", version=4)
    kept = [done.keep(e) for e in (before, other, later, resent)]
    # An erasure recorded by T is history, applied in its place; a later one is kept aside, once.
    assert kept == [True, False, False, False]
    assert list(done.erasures.values()) == [resent]
    assert done.positions == {MEMBERSHIP.source: 7}


def test_an_event_of_another_type_or_source_recorded_later_is_passed_over_as_before() -> None:
    done = replay.Replayed(as_of=T)
    assert not done.keep(_envelope(3, T + timedelta(days=1), kind="gb.membership.member_died.v1"))
    assert not done.keep(_envelope(3, T + timedelta(days=1), source="/golden-bridge/workers"))
    assert done.erasures == {}


def test_erasures_are_applied_with_the_statements_the_live_projection_runs_for_them() -> None:
    erasures = [_erasure(9, T + timedelta(seconds=1)), _erasure(12, T + timedelta(days=1), person="p-2")]
    ops = replay.erasure_ops(Q, erasures)
    live = [op for env in erasures for op in PROJECTION.apply(Q, env, MEMBERSHIP.decode(env.type, env.data))]
    assert ops == live
    # The leads they registered name them no more either (their name is all a lead keeps of them).
    assert [target(op) for op in ops] == ["members_view", "development_view", "leads_view"] * 2
    for sql, args in ops:
        assert sql.startswith(f"UPDATE {Q}.") and args[1] == ERASED_NAME
        assert "leads_view" in sql or ("national_id = ''" in sql and "contact = '{}'::jsonb" in sql)
    assert [args[0] for _, args in ops] == ["m-1"] * 3 + ["p-2"] * 3


def test_no_later_erasure_no_statement() -> None:
    assert replay.erasure_ops(Q, []) == []


class FakeConnection:
    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[tuple[str, tuple[Any, ...]]] = []

    async def fetchval(self, sql: str, *args: Any) -> bool:
        self.asked.append((sql, args))
        return self.answer


async def test_a_kept_copy_is_checked_against_the_live_erasures_by_member_and_by_case() -> None:
    conn = FakeConnection(True)
    assert await as_of_queue.lacks_an_erasure(conn, "as_of_0123")  # type: ignore[arg-type]
    ((sql, args),) = conn.asked
    # The erased name written into the statement, as the partial index's predicate has it: a bound name would
    # leave the planner a generic plan that cannot use the index (tests/integration/test_erasure_check_plan.py).
    assert args == ()
    assert f"l.name = '{ERASED_NAME}'" in sql
    assert f"WHERE name = '{ERASED_NAME}'" in " ".join(development.DDL.split())
    # The live tables unqualified (the live pool's search_path), the copy's in its own schema.
    assert 'FROM members_view l JOIN "as_of_0123".members_view c' in sql
    assert 'FROM development_view l JOIN "as_of_0123".development_view c' in sql
    assert not await as_of_queue.lacks_an_erasure(FakeConnection(False), "as_of_0123")  # type: ignore[arg-type]
