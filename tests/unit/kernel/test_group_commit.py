"""The group-commit writer (services/kernel/group_commit.py) with one and with two batches in flight: each caller
hears its own answer, a failed batch fails only its own callers, closing fails whoever still waits, and no more
batches are written at once than allowed. The ``write`` here is an asyncio stand-in for a database write; the
event store's own tests run it against PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from services.kernel.group_commit import GroupWriter, Waiting


class Writes:
    """A ``write`` that holds each batch until the test lets it go, and remembers what it saw."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.at_once = 0
        self.most_at_once = 0
        self.gates: list[asyncio.Event] = []
        self.hold = False
        self.fail_with: dict[int, Exception] = {}  # first item of a batch → its error

    async def write(self, batch: list[Waiting[int, str]]) -> Sequence[Waiting[int, str]]:
        items = [w.item for w in batch]
        self.batches.append(items)
        self.at_once += 1
        self.most_at_once = max(self.most_at_once, self.at_once)
        try:
            if self.hold:
                gate = asyncio.Event()
                self.gates.append(gate)
                await gate.wait()
            if items[0] in self.fail_with:
                raise self.fail_with[items[0]]
            for waiting in batch:
                waiting.answer(f"written {waiting.item}")
            return []
        finally:
            self.at_once -= 1


def writer(writes: Writes, in_flight: int) -> GroupWriter[int, str]:
    return GroupWriter(writes.write, name="test", closing=lambda: ConnectionError("closing"), in_flight=in_flight)


async def two_held(group: GroupWriter[int, str], writes: Writes, count: int) -> list[asyncio.Task[str]]:
    """``count`` callers arriving together (items 0 … count-1), written as two batches the test holds in flight."""
    writes.hold = True
    tasks = [asyncio.create_task(group.submit(n)) for n in range(count)]
    await until(lambda: len(writes.gates) == 2)
    return tasks


async def until(condition: object, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0)


async def test_with_one_in_flight_batches_never_overlap_and_keep_the_order_handed_in() -> None:
    writes = Writes()
    group = writer(writes, 1)
    try:
        answers = await asyncio.gather(*(group.submit(n) for n in range(50)))
        assert answers == [f"written {n}" for n in range(50)]
        assert writes.most_at_once == 1
        assert [item for batch in writes.batches for item in batch] == list(range(50))
    finally:
        await group.aclose()


async def test_with_two_in_flight_callers_arriving_together_are_written_as_two_batches_at_once() -> None:
    writes = Writes()
    group = writer(writes, 2)
    try:
        tasks = await two_held(group, writes, 6)
        assert writes.batches == [[0, 1, 2], [3, 4, 5]] and writes.most_at_once == 2
        later = [asyncio.create_task(group.submit(n)) for n in range(6, 9)]
        await until(lambda: group.queued == 3)
        assert len(writes.gates) == 2  # no third batch while two are in flight
        writes.gates[1].set()  # the second finishes first: its callers need not wait for the first
        assert await asyncio.gather(*tasks[3:]) == [f"written {n}" for n in range(3, 6)]
        assert not any(t.done() for t in tasks[:3])
        await until(lambda: len(writes.gates) == 3)
        assert writes.batches[2] == [6, 7, 8]  # one slot free: everything queued goes in one batch
        writes.gates[0].set()
        writes.gates[2].set()
        assert await asyncio.gather(*tasks[:3], *later) == [f"written {n}" for n in (0, 1, 2, 6, 7, 8)]
        assert writes.most_at_once == 2
    finally:
        await group.aclose()


async def test_a_failed_batch_fails_only_its_callers_and_the_writer_goes_on() -> None:
    writes = Writes()
    writes.fail_with[0] = RuntimeError("the database went away")
    group = writer(writes, 2)
    try:
        tasks = await two_held(group, writes, 4)
        assert writes.batches == [[0, 1], [2, 3]]
        for gate in writes.gates:
            gate.set()
        outcomes = await asyncio.gather(*tasks[:2], return_exceptions=True)
        assert all(isinstance(o, RuntimeError) and str(o) == "the database went away" for o in outcomes)
        assert await asyncio.gather(*tasks[2:]) == ["written 2", "written 3"]
        writes.hold = False
        assert await group.submit(9) == "written 9"
    finally:
        await group.aclose()


async def test_closing_fails_every_caller_still_waiting_in_flight_or_queued() -> None:
    writes = Writes()
    group = writer(writes, 2)
    waiting = await two_held(group, writes, 4)
    waiting += [asyncio.create_task(group.submit(n)) for n in range(4, 6)]  # queued: both slots are taken
    await until(lambda: group.queued == 2)
    await group.aclose()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    assert [str(o) for o in outcomes] == ["closing"] * 6
    assert all(isinstance(o, ConnectionError) for o in outcomes)
    assert not group.running


def test_at_least_one_batch_is_written_at_a_time() -> None:
    with pytest.raises(ValueError, match="in_flight"):
        writer(Writes(), 0)
