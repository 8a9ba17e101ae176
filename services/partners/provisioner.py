"""Keeps Kafka what the partners' events say: each active partner provisioned (its topic, its principal with the
password of its credential generation, its ACLs), each deactivated one without ACLs or credential.

Runs beside the partners service's API. It follows the store (DirectoryReader) and, for each partner whose
state (active or not, credential generation) it has not yet made true in this process, calls
``provisioning.ensure_partner`` or ``provisioning.revoke_partner`` — once at start for all of them
(idempotent: a restart re-checks everything), then for each registration, rotation, deactivation and
reactivation. A broker that is down is retried with backoff; no command ever waits for Kafka, so a
rotated password or a deactivation takes effect on the broker within a second or so of the event (longer
while Kafka is down).
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


async def provision_forever(store: EventStore[Any], settings: Settings, stop: asyncio.Event) -> None:
    reader = DirectoryReader(store)
    #: What this process has made true on Kafka for each partner: (active, credential generation).
    done: dict[str, tuple[bool, int]] = {}
    backoff = 1.0
    while not stop.is_set():
        try:
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
            backoff = 1.0
            delay = POLL_SECONDS
        except Exception as exc:
            log.warning("provisioning failed (%s: %s); retrying in %.0f s", type(exc).__name__, exc, backoff)
            delay, backoff = backoff, min(backoff * 2, MAX_BACKOFF_SECONDS)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


@asynccontextmanager
async def provisioner(store: EventStore[Any], settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(provision_forever(store, settings, stop), name="partner-provisioner")
    try:
        yield
    finally:
        stop.set()
        await task
