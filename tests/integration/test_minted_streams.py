"""A stream whose id the command API just minted is decided as empty without being read (services/kernel/handling.py
``minted``), against the real store: other streams are read as before, and a minted id that names a stream after
all (a collision) is refused by the append at version 0, nothing written over."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from services.kernel import handling
from services.kernel.handling import execute
from services.kernel.store import EventStore
from services.pure.errors import ConcurrencyConflict
from tests.integration.notes import Noted, meta, sid


def _count(state: int, event: Noted) -> int:
    return state + 1


async def _note(store: EventStore[Noted], stream_id: str, text: str) -> Any:
    def decide(state: int) -> Sequence[Noted]:
        return [Noted(text=f"{text} after {state}")]
    return await execute(store, stream_id=stream_id, stream_type="note", evolve=_count, initial=0, decide=decide,
                         meta=meta())


async def test_a_minted_stream_is_appended_without_being_read(store: EventStore[Noted], loads: list[str]) -> None:
    new = sid()
    with handling.minted(new):
        result = await _note(store, new, "first")
    assert loads == []
    assert result.stream_version == 1
    assert [r.event.text for r in (await store.load(new)).events] == ["first after 0"]


async def test_other_streams_are_read_as_before(store: EventStore[Noted], loads: list[str]) -> None:
    known, new = sid(), sid()
    await _note(store, known, "one")
    with handling.minted(new):
        result = await _note(store, known, "two")
    assert loads == [known, known] and result.stream_version == 2
    assert [r.event.text for r in (await store.load(known)).events][-1] == "two after 1"


async def test_a_minted_id_naming_a_stream_after_all_is_refused_and_writes_nothing(
        store: EventStore[Noted], loads: list[str]) -> None:
    taken = sid()
    await _note(store, taken, "already")
    with handling.minted(taken), pytest.raises(ConcurrencyConflict):
        await _note(store, taken, "over it")
    assert [r.event.text for r in (await store.load(taken)).events] == ["already after 0"]
