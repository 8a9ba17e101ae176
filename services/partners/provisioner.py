"""Keeps Kafka what the partners' events say: each active partner provisioned (its topic, its principal with the
password of its credential generation, its ACLs), each deactivated one without ACLs or credential.

Runs beside the partners service's API. It follows the store (DirectoryReader) and, for each partner whose
state (active or not, credential generation) it has not yet made true in this process, calls
``provisioning.ensure_partner`` or ``provisioning.revoke_partner`` — once at start for all of them
(idempotent: a restart re-checks everything), then for each registration, rotation, deactivation and
reactivation. A broker that is down is retried with backoff; no command ever waits for Kafka, so a
rotated password or a deactivation takes effect on the broker within a second or so of the event (longer
while Kafka is down).

Every partners instance runs one (``GB_INSTANCES``), and their passes never overlap: a pass runs inside a
transaction on the partners store that holds the transaction advisory lock ``LOCK``, and reads the directory after
taking it. An instance that does not get the lock skips that pass. So no pass acts on a view older than a pass
before it: a slow ``ensure_partner`` of one instance cannot finish after another instance revoked or rotated that
partner and put back what was taken away. The lock lives and dies with its transaction — no session to lose and
find again when PostgreSQL restarts: a pass whose connection fails ends with it, and the next pass (of whichever
instance) takes a fresh connection. Between its Kafka calls a pass checks that its transaction still holds, so a
connection lost mid-pass costs at most the call under way.

What a process remembers having made true (``done``) stays valid across other instances' passes: a partner's
state (active, credential generation) never repeats — a reactivation or a rotation raises the generation — and
every pass makes true the directory's latest state, so no pass of any instance moves Kafka away from a state that
is still the latest.
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
#: The transaction advisory lock a provisioning pass holds on the partners store (hashtext of this name).
LOCK = "gb_partners_provisioner"
LOCK_TIMEOUT_SECONDS = 5.0


class LockLost(Exception):
    """The pass's transaction, and the lock with it, ended while the pass ran."""


async def provision_forever(store: EventStore[Any], settings: Settings, stop: asyncio.Event) -> None:
    reader = DirectoryReader(store)
    #: What this process has made true on Kafka for each partner: (active, credential generation).
    done: dict[str, tuple[bool, int]] = {}
    backoff = 1.0
    while not stop.is_set():
        try:
            async with store.pool.acquire(timeout=LOCK_TIMEOUT_SECONDS) as conn, conn.transaction():
                if await conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext($1))", LOCK,
                                       timeout=LOCK_TIMEOUT_SECONDS):
                    await _provision_pass(reader, settings, done, conn)
                else:
                    log.debug("another instance is provisioning; this pass is skipped")
            backoff = 1.0
            delay = POLL_SECONDS
        except Exception as exc:
            log.warning("provisioning failed (%s: %s); retrying in %.0f s", type(exc).__name__, exc, backoff)
            delay, backoff = backoff, min(backoff * 2, MAX_BACKOFF_SECONDS)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


async def _provision_pass(reader: DirectoryReader, settings: Settings, done: dict[str, tuple[bool, int]],
                          lock: Any) -> None:
    """One pass, holding the lock: the directory as it is now (read after the lock was taken), made true on Kafka."""
    await reader.refresh()
    # Deactivated partners first: taking access away never waits behind a partner being provisioned.
    for partner_id, partner in sorted(reader.partners.items(), key=lambda item: (item[1].active, item[0])):
        wanted = (partner.active, partner.credential_generation)
        if done.get(partner_id) == wanted:
            continue
        try:
            await lock.fetchval("SELECT 1", timeout=LOCK_TIMEOUT_SECONDS)
        except Exception as exc:
            raise LockLost(f"the provisioning lock's transaction ended ({type(exc).__name__})") from exc
        if partner.active:
            await ensure_partner(settings, partner_id, partner.credential_generation)
            log.info("partner %s provisioned on Kafka (credential generation %d)", partner_id,
                     partner.credential_generation)
        else:
            await revoke_partner(settings, partner_id)
            log.info("partner %s deactivated: its Kafka ACLs and credential are removed", partner_id)
        done[partner_id] = wanted


@asynccontextmanager
async def provisioner(store: EventStore[Any], settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(provision_forever(store, settings, stop), name="partner-provisioner")
    try:
        yield
    finally:
        stop.set()
        await task
