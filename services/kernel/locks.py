"""Per-key locks for rules that span records (one open secondment per cadre, one first referral per project).

A rule over several streams cannot be guarded by one stream's expected version, so the handler
serialises the check and the append for the key inside the service process. The service runs as
one process (infra/processes.py); a second instance would need a reservation stream per key instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # forget idle keys so the map does not grow without bound
                del self._users[key], self._locks[key]
