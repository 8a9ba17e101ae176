"""The policy stream is read once per command (services/kernel/policy_stream.py ``one_read_per_command``): a
handler and its recording rule both ask for the published changes, and the command API runs every handler in
one scope. Outside a scope (the deadline engine, a dues run) every call reads the stream."""

from __future__ import annotations

from services.kernel import policy_stream
from services.kernel.store import EventStore
from services.pure.policy_data import NONE_PUBLISHED, POLICY_STREAM
from tests.integration.notes import Noted


async def test_one_command_reads_the_policy_stream_once(store: EventStore[Noted], loads: list[str]) -> None:
    with policy_stream.one_read_per_command():
        first = await policy_stream.published_changes(store)
        again = await policy_stream.published_changes(store)
    assert first == again == NONE_PUBLISHED
    assert loads == [POLICY_STREAM]


async def test_each_command_and_each_call_outside_one_reads_it_afresh(
        store: EventStore[Noted], loads: list[str]) -> None:
    for _ in range(2):
        with policy_stream.one_read_per_command():
            await policy_stream.published_changes(store)
    await policy_stream.published_changes(store)
    await policy_stream.published_changes(store)
    assert loads == [POLICY_STREAM] * 4
