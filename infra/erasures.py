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
too), the erasures recorded since the backup are nowhere this restore can read. Then the restore starts nothing:
a system serving the restored store could open the ID number and phone of a person the county erased. The
operator names the persons erased since the backup — from the county's own register of erasure requests — in a
file, one member id per line, and restores again with ``--erasures-from FILE`` (an empty file says none was);
each is forgotten the same way (docs/backup.md).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka.structs import ConsumerRecord

from infra.aio import run_sync
from services import system
from services.kernel.events import Envelope
from services.kernel.kafka import event_consumer, topic_partitions
from services.kernel.settings import Settings
from services.membership.contract import NAME as MEMBERSHIP
from services.membership.contract import personal_data_schema
from services.pure.personal_text import personal_shape

log = logging.getLogger("infra")

#: The erasure's wire name (services/membership/contract/events/members.py, PersonalDataErased).
ERASED = "gb.membership.personal_data_erased.v1"
#: Membership's forgetting, the function its erasure trigger calls (services/membership/personal_data.sql).
FORGET_SIGNATURE = "gb_forget_person(text,bigint,timestamptz)"
FORGET = "SELECT gb_forget_person($1, $2, $3)"
#: What to do when the erasures since the backup could not be read: docs/backup.md, step 6.
REPEAT = ("nothing is started: name every person erased since the backup was taken (the county's register of erasure "
          "requests names them) in a file, one member id per line, and restore again with --erasures-from FILE (an "
          "empty file when none was)")
#: A member id as the API takes it in a path (services/gateway/api/deps.py, ID_PATTERN).
MEMBER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}")
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


def read_listed(path: Path) -> list[str]:
    """The member ids of ``--erasures-from``: one per line; blank lines and ``#`` comments skipped. A line that is
    not a member id is refused by its number, never repeated: it may be the ID number someone wrote instead."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise NotReapplied(f"--erasures-from {path}: cannot be read ({type(exc).__name__})") from None
    persons: list[str] = []
    wrong: list[int] = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if MEMBER_ID.fullmatch(text) and personal_shape(text) is None:
            persons.append(text)
        else:
            wrong.append(number)
    if wrong:
        raise NotReapplied(f"--erasures-from {path}: line(s) {', '.join(map(str, wrong[:20]))} hold no member id "
                           "(letters, digits and _ . : - only, as in /v1/members/{member_id}; never an ID number)")
    return sorted(set(persons))


def reapply(settings: Settings, stores: dict[str, dict[str, Any]], listed: list[str] | None = None) -> bool:
    """Apply to the restored membership store every erasure Kafka holds beyond the backup's last membership
    position (``stores``: the backup manifest's stores), and forget every person in ``listed`` (``--erasures-from``:
    those the county names as erased since the backup). False when the erasures recorded since the backup are not
    all known to be forgotten — Kafka could not show them and no list was given, or the store refused — and the
    log says why and what to do."""
    store = stores.get(MEMBERSHIP)
    if store is None or "topic" not in store:
        return True  # no membership store in this backup: nothing of it was restored
    topic, last = store["topic"], int(store.get("last_position") or 0)
    found = _read(settings, topic, last, vouched=listed is not None)
    if found is None and listed is None:
        return False
    forgetting = list(found.erasures.values()) if found is not None else []
    # A listed person's retry records all predate the erasure: the restored store ends at the backup's position.
    forgetting += [Erasure(f"listed:{person}", person, last + 1, datetime.now(UTC)) for person in listed or ()]
    persons = sorted({e.person_id for e in forgetting})
    if not forgetting:
        if found is None:
            log.warning("--erasures-from lists no person: the operator says no one was erased since the backup")
            return True
        log.info("no erasure was recorded after the backup (%s read to its end; the backup's events up to position "
                 "%s)", topic, f"{last:,}")
        return found.refused == 0
    try:
        changed = run_sync(forget(settings.dsn(MEMBERSHIP), forgetting))
    except Exception as exc:  # nothing was changed (one transaction): the persons are named, to be erased by hand
        log.error("the %d erasures recorded since the backup could NOT be re-applied (%s); the restored store still "
                  "holds the data keys of %s; %s", len(forgetting), exc, ", ".join(persons), REPEAT)
        return False
    log.info("re-applied %d erasures recorded after the backup (positions beyond %s%s) to the restored membership "
             "store: %d data keys destroyed again or tombstones made, %d persons already forgotten; persons: %s",
             len(forgetting), f"{last:,}", f", {len(listed)} of them listed" if listed else "", changed,
             len(persons) - changed, ", ".join(persons))
    return found is None or found.refused == 0


def _read(settings: Settings, topic: str, last: int, *, vouched: bool) -> Scan | None:
    """The erasures Kafka holds beyond ``last``, or None when it cannot show them all (logged: an error, or a
    warning when the operator ``vouched`` for them with a list)."""
    say = log.warning if vouched else log.error
    then = ("only the persons listed in --erasures-from are forgotten, as the operator vouched" if vouched
            else REPEAT)
    try:
        scan = run_sync(read_erasures(settings, topic, last))
    except Exception as exc:  # whatever stopped the read, the operator must be told the same
        say("erasures recorded since the backup could NOT be read: %s could not be read (%s), so the restored "
            "membership store may hold the data keys of persons erased since; %s", topic, exc, then)
        return None
    if scan.last_position < last:
        say("erasures recorded since the backup could NOT be read: Kafka holds membership's events only up to "
            "position %s, the backup's store up to %s (Kafka was lost too): no erasure recorded since the backup is "
            "on it, and the restored membership store may hold the data keys of persons erased since; %s",
            f"{scan.last_position:,}", f"{last:,}", then)
        return None
    return scan
