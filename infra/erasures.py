"""A restore's last step on the membership store: the erasures recorded after the backup, applied to it again.

Why. Erasing a person destroys their data key in the transaction that records the erasure
(services/membership/personal_data.sql). A backup taken before it still holds the key, wrapped, so restoring that
backup would bring the person's ID number and phone back: the erasure was recorded after the backup, and the
restored store has no trace of it. Kafka has: every membership event is on ``gb.membership.events``, kept forever.
So the restore reads that topic, after the store is put back and before anything can read it (before the rebuild,
before any process is started again), and forgets again every person named by an erasure beyond the backup's last
membership position (its manifest), with membership's own ``gb_forget_person`` — the statements the erasure's
trigger runs, not a copy: the key destroyed (a tombstone where the backup held no key row), the ID number's
reservation and the person's earlier retry records dropped. The erasure events themselves are not put back into
the store (that would be point-in-time recovery, which is not built); forgetting is idempotent, so a restore run
twice, or an erasure the county repeats afterwards, changes nothing more.

What it trusts. Only membership's relay may write that topic (infra/acls.py); a record counts as an erasure only
when it is a whole CloudEvent of membership's source with the erasure's type and a position. The person ids are
logged (they are not personal data); no event's data is decoded here, so no ID number or phone reaches the log.

When it cannot. If Kafka does not answer, or holds fewer of membership's events than the backup (Kafka was lost
too), the erasures recorded since the backup are nowhere this restore can read. It says so plainly, and that each
of them must be repeated before the system is used again (docs/backup.md).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiokafka.structs import ConsumerRecord

from infra.aio import run_sync
from services import system
from services.kernel.events import Envelope
from services.kernel.kafka import event_consumer, topic_partitions
from services.kernel.settings import Settings
from services.membership.contract import NAME as MEMBERSHIP
from services.membership.contract import personal_data_schema

log = logging.getLogger("infra")

#: The erasure's wire name (services/membership/contract/events/members.py, PersonalDataErased).
ERASED = "gb.membership.personal_data_erased.v1"
#: Membership's forgetting, the function its erasure trigger calls (services/membership/personal_data.sql).
FORGET_SIGNATURE = "gb_forget_person(text,bigint,timestamptz)"
FORGET = "SELECT gb_forget_person($1, $2, $3)"
#: What to do when the erasures since the backup could not be applied again: docs/backup.md, "Limitations".
REPEAT = ("repeat every erasure recorded since the backup was taken (POST /v1/members/{member_id}/erasure, county "
          "only) before the system is used again; the county's own record of erasure requests names them")
PROGRESS_EVERY = 5.0
#: A topic that gives no record for this long while its end lies ahead is not read to the end: the scan fails.
STALL_AFTER = 60.0


class NotReapplied(RuntimeError):
    """The erasures recorded since the backup could not be applied to the restored store; the message says why."""


@dataclass(frozen=True)
class Erasure:
    event_id: str
    person_id: str
    position: int
    recorded_at: datetime


@dataclass
class Scan:
    """What a read of membership's topic found: the erasures beyond ``after``, and the highest position of all."""

    after: int
    source: str
    erasures: dict[str, Erasure] = field(default_factory=dict)
    last_position: int = 0
    records: int = 0
    #: Records that carry the erasure's type but are not a whole CloudEvent of membership: named, never applied.
    refused: int = 0

    def see(self, record: ConsumerRecord[bytes, bytes]) -> None:
        self.records += 1
        headers = dict(record.headers)
        try:
            position = int(headers["ce_position"])
        except (KeyError, ValueError):
            return  # not a stored event: auditing the topic is the audit log's work, not the restore's
        self.last_position = max(self.last_position, position)
        if position > self.after and headers.get("ce_type") == ERASED.encode():
            self._take(record, position)

    def _take(self, record: ConsumerRecord[bytes, bytes], position: int) -> None:
        try:
            event = Envelope.from_kafka(record.headers, record.value or b"")
        except (KeyError, ValueError, UnicodeDecodeError) as exc:
            self._refuse(record, f"not a whole CloudEvent ({exc!r})")
            return
        if event.source != self.source:
            self._refuse(record, f"its source is {event.source}, not membership's")
            return
        # The same event twice (the relay publishes again what was still in the outbox at a restore) counts once.
        self.erasures[str(event.id)] = Erasure(str(event.id), event.stream_id, position,
                                               event.recorded_at or event.time)

    def _refuse(self, record: ConsumerRecord[bytes, bytes], why: str) -> None:
        self.refused += 1
        log.error("%s[%d]@%d has the erasure's type but is not applied: %s. If it is an erasure the county recorded, "
                  "repeat it (POST /v1/members/{member_id}/erasure)", record.topic, record.partition, record.offset,
                  why)

    @property
    def persons(self) -> list[str]:
        return sorted({e.person_id for e in self.erasures.values()})


async def read_erasures(settings: Settings, topic: str, after: int) -> Scan:
    """Every record of ``topic`` up to its end now, read without a consumer group: the erasures beyond ``after``.

    Every partition is read from its beginning, not from a position found by search: positions on a partition are
    in order only until a restore, after which the relay may publish again what its outbox still held."""
    scan = Scan(after=after, source=system.service(MEMBERSHIP).registry.source)
    consumer = event_consumer(settings, "gb-restore-erasures")
    await consumer.start()
    try:
        partitions = await topic_partitions(consumer, topic)
        begin, end = await consumer.beginning_offsets(partitions), await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, begin[tp])
        total = sum(end[tp] - begin[tp] for tp in partitions)
        pending = {tp for tp in partitions if end[tp] > begin[tp]}
        started = progressed = reported = time.monotonic()
        while pending:
            fetched = await consumer.getmany(*pending, timeout_ms=500, max_records=10_000)
            for records in fetched.values():
                for record in records:
                    scan.see(record)
            now = time.monotonic()
            if fetched:
                progressed = now
            elif now - progressed > STALL_AFTER:
                raise NotReapplied(f"{topic} gave no record for {STALL_AFTER:.0f} s with {total - scan.records:,} "
                                   "still to read")
            if now - reported >= PROGRESS_EVERY:
                reported = now
                log.info("reading %s for erasures: %s of %s records in %.0f s", topic, f"{scan.records:,}",
                         f"{total:,}", now - started)
            pending = {tp for tp in pending if await consumer.position(tp) < end[tp]}
        return scan
    finally:
        await consumer.stop()


async def forget(dsn: str, erasures: list[Erasure]) -> int:
    """Forget each erasure's person in the store at ``dsn``, in one transaction, in the order they were recorded;
    the number of keys destroyed or tombstones made (the others were forgotten already)."""
    import asyncpg

    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        if not await conn.fetchval("SELECT to_regprocedure($1) IS NOT NULL", FORGET_SIGNATURE):
            # A backup of an earlier version, whose forgetting was the erasure trigger's alone: the store gets this
            # version's, as membership's own start would give it, before anything reads it.
            log.info("the restored membership store has no %s (a backup of an earlier version): installing "
                     "membership's personal-data schema first", FORGET_SIGNATURE)
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext('gb_membership_person_keys'))")
                await conn.execute(personal_data_schema())
        changed = 0
        async with conn.transaction():
            for erasure in sorted(erasures, key=lambda e: e.position):
                changed += bool(await conn.fetchval(FORGET, erasure.person_id, erasure.position,
                                                    erasure.recorded_at))
        return changed
    finally:
        await conn.close()


def reapply(settings: Settings, stores: dict[str, dict[str, Any]]) -> bool:
    """Apply to the restored membership store every erasure Kafka holds beyond the backup's last membership
    position (``stores``: the backup manifest's stores). False when erasures recorded since the backup could not
    be applied — the log says why, and what to do."""
    store = stores.get(MEMBERSHIP)
    if store is None or "topic" not in store:
        return True  # no membership store in this backup: nothing of it was restored
    topic, last = store["topic"], int(store.get("last_position") or 0)
    try:
        scan = run_sync(read_erasures(settings, topic, last))
    except Exception as exc:  # whatever stopped the read, the operator must be told the same
        log.error("erasures recorded since the backup could NOT be re-applied: %s could not be read (%s), so the "
                  "restored membership store may hold the data keys of persons erased since; %s", topic, exc, REPEAT)
        return False
    if scan.last_position < last:
        log.error("erasures recorded since the backup could NOT be re-applied: Kafka holds membership's events "
                  "only up to position %s, the backup's store up to %s (Kafka was lost too): no erasure recorded "
                  "since the backup is on it, and the restored membership store may hold the data keys of persons "
                  "erased since; %s", f"{scan.last_position:,}", f"{last:,}", REPEAT)
        return False
    if not scan.erasures:
        log.info("no erasure was recorded after the backup (%s read: membership's events up to position %s, the "
                 "backup's up to %s)", topic, f"{scan.last_position:,}", f"{last:,}")
        return scan.refused == 0
    try:
        changed = run_sync(forget(settings.dsn(MEMBERSHIP), list(scan.erasures.values())))
    except Exception as exc:  # nothing was changed (one transaction): the persons are named, to be erased by hand
        log.error("the %d erasures recorded since the backup could NOT be re-applied (%s); the restored store still "
                  "holds the data keys of %s; %s", len(scan.erasures), exc, ", ".join(scan.persons), REPEAT)
        return False
    log.info("re-applied %d erasures recorded after the backup (positions beyond %s) to the restored membership "
             "store: %d data keys destroyed again or tombstones made, %d persons already forgotten; persons: %s",
             len(scan.erasures), f"{last:,}", changed, len(scan.persons) - changed, ", ".join(scan.persons))
    return scan.refused == 0
