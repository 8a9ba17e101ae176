"""Keeps Kafka what the partners' events say: each active partner provisioned (its topic, its principal with the
password of its credential generation, its ACLs), each deactivated one without ACLs or credential.

Runs beside the partners service's API. It follows the store (DirectoryReader) and, for each partner whose
state (active or not, credential generation) it has not yet made true in this process, calls
``provisioning.ensure_partner`` or ``provisioning.revoke_partner`` — once at start for all of them
(idempotent: a restart re-checks everything), then for each registration, rotation, deactivation and
reactivation. A broker that is down is retried with backoff; no command ever waits for Kafka, so a
rotated password or a deactivation takes effect on the broker within a second or so of the event (longer
while Kafka is down).

Every partners instance runs one, but only one provisions at a time: the one holding a PostgreSQL session advisory
lock on the partners store (``LOCK``, on a connection of the store's pool kept for as long as the process runs);
the others stand by and take over when its session ends. Each pass re-reads the directory under the lock, so no
pass acts on a view older than the pass before it — a slow ``ensure_partner`` of one instance can no longer finish
after another revoked or rotated that partner. What this process made true is forgotten whenever it takes the
lock: another instance may have provisioned since, so everything is re-checked (idempotent) on taking over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from services.kernel.settings import Settings
from services.kernel.store import EventStore
from services.partners.directory import DirectoryReader
from services.partners.provisioning import ensure_partner, revoke_partner

log = logging.getLogger("partners.provisioner")
POLL_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
#: The session advisory lock only one partners instance holds while it provisions (hashtext of this name).
LOCK = "gb_partners_provisioner"
STANDBY_SECONDS = 1.0
LOCK_CHECK_SECONDS = 5.0


async def provision_forever(store: EventStore[Any], settings: Settings, stop: asyncio.Event) -> None:
    reader = DirectoryReader(store)
    #: What this process has made true on Kafka for each partner while holding the lock: (active, generation).
    done: dict[str, tuple[bool, int]] = {}
    backoff = 1.0
    lock_conn: Any = None  # a connection of the store's pool, kept while this process runs
    leading = standing_by = False
    try:
        while not stop.is_set():
            try:
                if lock_conn is None:
                    lock_conn = await store.pool.acquire()
                if not leading:
                    leading = bool(await lock_conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", LOCK))
                    if not leading:
                        if not standing_by:
                            log.info("another partner provisioner is active; standing by")
                            standing_by = True
                        await _wait(stop, STANDBY_SECONDS)
                        continue
                    log.info("active partner provisioner")
                    done.clear()
                    standing_by = False
                else:
                    await lock_conn.fetchval("SELECT 1", timeout=LOCK_CHECK_SECONDS)  # a lost lock ends the lead
            except Exception as exc:
                log.warning("partner provisioner lock lost or not taken (%s: %s); retrying", type(exc).__name__, exc)
                if lock_conn is not None:
                    await _give_back(store, lock_conn)
                lock_conn, leading = None, False
                await _wait(stop, STANDBY_SECONDS)
                continue
            try:
                await _provision_pass(reader, settings, done)
                backoff = 1.0
                delay = POLL_SECONDS
            except Exception as exc:
                log.warning("provisioning failed (%s: %s); retrying in %.0f s", type(exc).__name__, exc, backoff)
                delay, backoff = backoff, min(backoff * 2, MAX_BACKOFF_SECONDS)
            await _wait(stop, delay)
    finally:
        if lock_conn is not None:
            await _give_back(store, lock_conn)


async def _provision_pass(reader: DirectoryReader, settings: Settings, done: dict[str, tuple[bool, int]]) -> None:
    """One pass, under the lock: the directory as it is now (read after the lock was taken), made true on Kafka."""
    await reader.refresh()
    # Deactivated partners first: taking access away never waits behind a partner being provisioned.
    for partner_id, partner in sorted(reader.partners.items(), key=lambda item: (item[1].active, item[0])):
        wanted = (partner.active, partner.credential_generation)
        if done.get(partner_id) == wanted:
            continue
        if partner.active:
            await ensure_partner(settings, partner_id, partner.credential_generation)
            log.info("partner %s provisioned on Kafka (credential generation %d)", partner_id,
                     partner.credential_generation)
        else:
            await revoke_partner(settings, partner_id)
            log.info("partner %s deactivated: its Kafka ACLs and credential are removed", partner_id)
        done[partner_id] = wanted


async def _give_back(store: EventStore[Any], conn: Any) -> None:
    """Release the lock and return the connection. The pool does not reset connections on release
    (services/kernel/pools.py): the session lock goes here, or whoever takes the connection next would hold it."""
    try:
        if not conn.is_closed():
            await conn.execute("SELECT pg_advisory_unlock_all()", timeout=LOCK_CHECK_SECONDS)
    except Exception:
        conn.terminate()  # closing the session releases its locks
    with suppress(Exception):
        await store.pool.release(conn)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


@asynccontextmanager
async def provisioner(store: EventStore[Any], settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(provision_forever(store, settings, stop), name="partner-provisioner")
    try:
        yield
    finally:
        stop.set()
        await task
