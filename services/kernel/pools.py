"""Connection pools of the services' stores, their relays and consumers, and the gateway's read models: released
without a RESET round trip.

asyncpg resets a connection on every release with ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
RESET ALL`` — one more round trip per command (about a tenth of a service's CPU per command, issue 14). These
pools' connections keep no session state: every statement runs in its own or an explicit transaction, locks are
transaction-scoped (``pg_advisory_xact_lock``), nothing LISTENs or SETs for the session. A caller that takes a
session-level lock on one of them (the deadline scheduler's leadership) releases it itself before giving the
connection back.
"""

from __future__ import annotations

from typing import Any

import asyncpg


async def _nothing_to_reset(connection: asyncpg.Connection) -> None:
    return None


async def create_pool(dsn: str, **options: Any) -> asyncpg.Pool:
    """``asyncpg.create_pool`` for connections that keep no session state between uses."""
    pool: asyncpg.Pool = await asyncpg.create_pool(dsn, reset=_nothing_to_reset, **options)
    return pool
