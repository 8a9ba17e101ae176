"""Per-key locks serialise one key's holders, leave other keys free, and forget idle keys."""

from __future__ import annotations

import asyncio

from services.kernel.locks import KeyedLocks


async def test_holders_of_one_key_run_one_at_a_time_and_other_keys_do_not_wait() -> None:
    locks, inside, most, order = KeyedLocks(), 0, 0, []

    async def hold(key: str, n: int) -> None:
        nonlocal inside, most
        async with locks.hold(key):
            inside += 1 if key == "a" else 0
            most = max(most, inside)
            await asyncio.sleep(0.01)
            order.append((key, n))
            inside -= 1 if key == "a" else 0

    await asyncio.gather(*(hold("a", n) for n in range(5)), hold("b", 0))
    assert most == 1
    assert order.index(("b", 0)) <= 1  # b ran beside the first holder of a, not after all five
    assert locks._locks == {} and locks._users == {}
