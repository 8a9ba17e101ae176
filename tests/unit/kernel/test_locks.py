"""Per-key locks serialise one key's holders, leave other keys free, and forget idle keys.

Each holder stays inside until the test lets it go (an ``asyncio.Event`` per holder), so who is
inside at each moment is decided by the test, not by timing.
"""

from __future__ import annotations

import asyncio
from itertools import pairwise

from services.kernel.locks import KeyedLocks

A_HOLDERS = ("a1", "a2", "a3")


async def test_holders_of_one_key_run_one_at_a_time_and_other_keys_do_not_wait() -> None:
    locks, inside = KeyedLocks(), list[str]()
    entered = {name: asyncio.Event() for name in (*A_HOLDERS, "b")}
    leave = {name: asyncio.Event() for name in (*A_HOLDERS, "b")}

    async def hold(key: str, name: str) -> None:
        async with locks.hold(key):
            inside.append(name)
            entered[name].set()
            await leave[name].wait()
            inside.remove(name)

    async with asyncio.timeout(5):  # a broken lock fails the test instead of hanging it
        holders_of_a = [asyncio.create_task(hold("a", name)) for name in A_HOLDERS]
        await entered["a1"].wait()
        holder_of_b = asyncio.create_task(hold("b", "b"))
        await entered["b"].wait()
        # All three holders of a have asked for it (they were started before b); only the first is in,
        # and b went in beside it.
        assert locks._users == {"a": 3, "b": 1}
        assert inside == ["a1", "b"]
        leave["b"].set()
        await holder_of_b
        for current, following in pairwise(A_HOLDERS):
            assert inside == [current] and not entered[following].is_set()
            leave[current].set()  # hand the key on: only now may the next holder enter
            await entered[following].wait()
            assert inside == [following]
        leave[A_HOLDERS[-1]].set()
        await asyncio.gather(*holders_of_a)
    assert inside == []
    assert locks._locks == {} and locks._users == {}
