"""Keeps every registered partner provisioned on Kafka: its topic, its principal and its ACLs.

Runs beside the partners service's API. It follows the store (DirectoryReader) and calls
``provisioning.ensure_partner`` for each partner it has not yet provisioned in this process — once at
start for all of them (idempotent: a restart re-checks everything), then for each new registration.
A broker that is down is retried with backoff; registration itself never waits for Kafka.
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
from services.partners.provisioning import ensure_partner

log = logging.getLogger("partners.provisioner")
POLL_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


async def provision_forever(store: EventStore[Any], settings: Settings, stop: asyncio.Event) -> None:
    reader = DirectoryReader(store)
    done: set[str] = set()
    backoff = 1.0
    while not stop.is_set():
        try:
            await reader.refresh()
            for partner_id in sorted(set(reader.partners) - done):
                await ensure_partner(settings, partner_id)
                done.add(partner_id)
                log.info("partner %s provisioned on Kafka", partner_id)
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
