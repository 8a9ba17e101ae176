"""A stream holds one kind of record (services/kernel/handling.py ``state_of``): read as another kind it holds none."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from services.kernel.handling import state_of
from services.kernel.store import RecordedEvent, Stream


def stream_of(kind: str, *events: str) -> Stream[str]:
    envelope = cast(Any, SimpleNamespace(stream_type=kind))
    recorded = [RecordedEvent(envelope=envelope, event=e) for e in events]
    return Stream(stream_id="x", version=len(events), events=recorded)


def test_a_stream_folds_as_the_kind_it_was_appended_as() -> None:
    assert stream_of("branch", "a", "b").stream_type == "branch"
    assert state_of(stream_of("branch", "a", "b"), lambda s, e: s + e, "", kind="branch") == "ab"


def test_a_stream_of_another_kind_is_the_initial_state_and_its_events_are_never_folded() -> None:
    def evolve(state: str, event: str) -> str:
        raise AssertionError(f"folded another kind's event {event}")  # what a member's evolve did with a branch's

    assert state_of(stream_of("branch", "a"), evolve, "no member", kind="member") == "no member"


def test_an_empty_stream_is_of_no_kind_yet() -> None:
    empty: Stream[str] = Stream(stream_id="x")
    assert empty.stream_type is None
    assert state_of(empty, lambda s, e: s + e, "new", kind="member") == "new"
