"""The router's dead letters: records on the internal event topics that no attempt could ever read — not a
CloudEvent of ours, or data that does not fit its event's schema — kept in the partners database, as the record
came with why, for someone to read, mend and send again (services/partners/router.py, docstring 2.).

Held instead of set aside, such a record would stop every partner's delivery for good: each batch that holds it
fails, and each restart reads it again. The projector sets the same records aside in the read models'
``dead_letters`` (services/kernel/projection.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import asyncpg

from services.kernel import metrics

log = logging.getLogger("partners.router")

DDL = """
CREATE TABLE IF NOT EXISTS router_dead_letters (
    topic text NOT NULL, partition int NOT NULL, "offset" bigint NOT NULL, reason text NOT NULL,
    key bytea, value bytea, recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition, "offset")
);
"""


class Unreadable(Exception):
    """A record no attempt could ever read: set aside, not retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def install(pool: asyncpg.Pool) -> None:
    await pool.execute(DDL)


async def set_aside(pool: asyncpg.Pool, unreadable: Sequence[tuple[Any, str]]) -> None:
    """Keep each (faust message, reason); the router calls it inside a batch's attempt, before the batch is
    acknowledged, so a record is passed over only once it is kept (a repeat changes nothing)."""
    for message, reason in unreadable:
        log.error("dead letter %s[%d]@%d: %s — set aside in router_dead_letters, not routed",
                  message.topic, message.partition, message.offset, reason)
    await pool.executemany(
        'INSERT INTO router_dead_letters (topic, partition, "offset", reason, key, value)'
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        [(m.topic, m.partition, m.offset, reason[:2000], m.key, m.value) for m, reason in unreadable])
    metrics.PARTNER_ROUTER_DEAD_LETTERS.inc(len(unreadable))
