"""``./gb restore FOLDER``: check a backup whole, say what will change, put the stores and the missing keys back
(the running processes held down meanwhile), forget again whoever was erased after the backup
(infra/erasures.py), then rebuild the read models from Kafka (docs/backup.md).

It refuses a damaged backup, and a system holding data unless ``--force``. It refuses, even with ``--force``, a
backup whose erasures since cannot be read from Kafka (Kafka lost events) unless the operator names them with
``--erasures-from FILE``; and should they turn out unreadable only while restoring, it starts nothing.
"""

from __future__ import annotations

import base64
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra import backup, erasures, local, postgres, secrets, supervisor
from infra.aio import run_sync
from infra.operate import rebuild
from infra.processes import app_processes
from services.kernel.settings import Settings
from services.membership.contract import NAME as MEMBERSHIP

log = logging.getLogger("infra")


@dataclass
class RestorePlan:
    """What a restore will do, and what stops it without --force; nothing is changed while it is made."""

    steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    #: What stops it even with --force: only the operator's own answer (named in each) lifts it.
    refusals: list[str] = field(default_factory=list)
    keys: dict[Path, bytes] = field(default_factory=dict)
    #: Key files of this machine that --force replaces; each is kept beside, renamed, never destroyed.
    replaced: list[Path] = field(default_factory=list)


def plan_keys(settings: Settings, material: dict[str, Any], plan: RestorePlan) -> None:
    same: list[str] = []
    for name, encoded in sorted(material["files"].items()):
        path, data = backup.key_destination(settings, name), base64.b64decode(encoded)
        if not path.exists():
            plan.keys[path] = data
            plan.steps.append(f"write {name} to {path} (missing here)")
        elif path.read_bytes() == data:
            same.append(name)
        elif name == backup.AUDIT_KEY:
            # A new key means a new log id: the restored tree heads were signed with the backup's key.
            plan.blockers.append(f"the audit log's signing key in {path} is not the backup's (a new one was made "
                                 "since); --force puts the backup's back and keeps this one beside it")
            plan.keys[path] = data
            plan.replaced.append(path)
        else:
            # PostgreSQL's role password is set from this file on every start and Kafka formatted with these:
            # this machine's own credentials are the ones its servers know.
            plan.steps.append(f"{name}: this machine's differs from the backup's and is kept (its servers use it)")
    if same:
        plan.steps.append(f"keys already the backup's: {', '.join(same)}")
    for variable, value in sorted(material["environment"].items()):
        if os.environ.get(variable, "").strip() == value:
            plan.steps.append(f"{variable}: set here as when the backup was taken")
            continue
        why = (f"{variable} here is not the one the backup was taken with: no person's sealed data in the restored "
               f"stores could be opened. Set it to the backup's (`./gb restore FOLDER --show-secret {variable}`)")
        if variable == "GB_MEMBERSHIP_MASTER_KEY":
            plan.blockers.append(why)
        else:
            plan.warnings.append(f"{variable} here differs from the backup's; tokens, partner credentials or "
                                 f"calls signed with the old one fail (`--show-secret {variable}` prints it)")


async def store_events(settings: Settings) -> dict[str, int | None]:
    """Events in each database now (None: the database is missing; 0: no event store or an empty one)."""
    import asyncpg

    found: dict[str, int | None] = {}
    admin = await asyncpg.connect(settings.admin_dsn, timeout=10)
    try:
        for name, database in postgres.database_names(settings).items():
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
                found[name] = None
                continue
            conn = await asyncpg.connect(settings.dsn(name), timeout=10)
            try:
                found[name] = await backup.count_events(conn)
            finally:
                await conn.close()
    finally:
        await admin.close()
    return found


async def kafka_last_positions(settings: Settings, topics: dict[str, str]) -> dict[str, int]:
    """The highest store position Kafka holds per service (topic by service): each partition's last record
    carries it (``ce_position``); the relay writes every partition in position order."""
    from services.kernel.kafka import event_consumer, topic_partitions

    consumer = event_consumer(settings, "gb-restore-check")
    await consumer.start()
    try:
        found: dict[str, int] = {}
        # Every topic's partitions first: once partitions are assigned, the client's metadata covers only those.
        by_service = {service: await topic_partitions(consumer, topic) for service, topic in topics.items()}
        for service, partitions in by_service.items():
            ends = await consumer.end_offsets(partitions)
            last = 0
            for partition in partitions:
                if ends[partition] == 0:
                    continue
                consumer.assign([partition])  # one at a time: nothing is fetched from the others
                consumer.seek(partition, ends[partition] - 1)
                batch = await consumer.getmany(partition, timeout_ms=10_000)
                for record in batch.get(partition, []):
                    header = dict(record.headers).get("ce_position")
                    if header is not None:
                        last = max(last, int(header))
            found[service] = last
        return found
    finally:
        await consumer.stop()


def plan_restore(settings: Settings, found: backup.Backup, material: dict[str, Any], *,
                 erasures_listed: bool = False) -> RestorePlan:
    plan = RestorePlan()
    plan_keys(settings, material, plan)
    now = run_sync(store_events(settings))
    topics = {name: store["topic"] for name, store in found.stores.items() if "topic" in store}
    on_kafka = run_sync(kafka_last_positions(settings, topics))
    for name, store in sorted(found.stores.items()):
        held = now.get(name)
        plan.steps.append(f"replace {store['database']} ({'missing' if held is None else f'{held:,} events'} here) "
                          f"with the backup's ({store.get('events', 0):,} events)")
        if held:
            plan.blockers.append(f"{store['database']} holds {held:,} events now; --force replaces them with "
                                 "the backup's")
        if name not in on_kafka:
            continue
        last, kafka = store["last_position"], on_kafka[name]
        if kafka > last:
            plan.blockers.append(
                f"Kafka holds {name}'s events up to position {kafka:,}; the backup's store ends at {last:,}. Those "
                "events were recorded after this backup: restored, the store would lack them while Kafka and the read "
                "models keep them, and new events would take their positions again. Restore a newer backup "
                "(docs/backup.md)")
        elif kafka < last:
            plan.warnings.append(
                f"Kafka holds {name}'s events only up to position {kafka:,}, the backup's store up to {last:,}: Kafka "
                "lost events or is new, and the rebuilt read models will lack them (docs/backup.md, when Kafka was "
                "lost too)")
            if name == MEMBERSHIP and not erasures_listed:
                plan.refusals.append(
                    "the persons erased since the backup cannot be read from Kafka (it lost membership's events), "
                    "and restored as they are their ID numbers and phones could be opened again: name them in a "
                    "file, one member id per line, from the county's register of erasure requests, and restore with "
                    "--erasures-from FILE (an empty file when no one was erased since the backup)")
    return plan


def restore(settings: Settings, folder: Path, *, force: bool, show_secret: str | None = None,
            erasures_from: Path | None = None) -> int:
    """Verify, plan, and (unless refused) restore the backup in ``folder``, then rebuild the read models.
    ``erasures_from``: the persons the county erased since the backup, forgotten too (--erasures-from)."""
    started = time.monotonic()
    found = backup.verify(folder)
    try:
        listed = erasures.read_listed(erasures_from) if erasures_from is not None else None
    except erasures.NotReapplied as exc:
        log.error("restore refused, nothing was changed: %s", exc)
        return 2
    log.info("the backup %s is whole: %d files match their SHA-256 (taken %s on %s)", found.folder.name,
             len(found.manifest["files"]), found.manifest["created_at"], found.manifest["host"])
    material = found.keys(os.environ.get(backup.PASSPHRASE_VARIABLE, "").strip() or None)
    if show_secret:
        if show_secret not in material["environment"]:
            log.error("the backup holds no %s (it holds: %s)", show_secret,
                      ", ".join(material["environment"]) or "none")
            return 1
        print(material["environment"][show_secret])
        return 0
    try:
        postgres.wait_answers(settings.admin_dsn, "the restore's target", timeout=3)
    except postgres.PostgresError:
        if local.supervisor_pid(settings) is not None:
            raise backup.BackupError("PostgreSQL does not answer though the supervisor runs; wait until "
                                     "`./gb status` shows it running, then restore again") from None
        # Nothing runs here (a new machine): its missing keys come from the backup before the servers are made.
        for name, encoded in material["files"].items():
            if not (path := backup.key_destination(settings, name)).exists():
                secrets.write_private(path, base64.b64decode(encoded))
        log.info("PostgreSQL does not answer: bringing up PostgreSQL and Kafka with the backup's credentials…")
        local.infra_up(settings)
        settings = secrets.local_settings(settings)
    plan = plan_restore(settings, found, material, erasures_listed=listed is not None)
    supervised = local.supervisor_pid(settings) is not None
    names = [p.name for p in app_processes(settings) if supervised or supervisor.app_pid(settings, p.name)]
    plan.steps.insert(0, f"hold down {len(names)} running processes while it restores" if names else
                      "no process of the system runs; none is started")
    plan.steps.append("forget again, before anything reads the restored membership store, every person erased "
                      "after the backup (the erasures on Kafka beyond its last membership position" +
                      (f", and the {len(listed)} persons listed in {erasures_from})" if listed is not None else ")"))
    plan.steps.append("rebuild the read models from every event on Kafka" +
                      (", then start the processes again" if names else ""))
    log.info("restore %s will:\n  - %s", found.folder, "\n  - ".join(plan.steps))
    for warning in plan.warnings:
        log.warning("%s", warning)
    if plan.refusals:
        log.error("restore refused, nothing was changed (--force does not lift this):\n  - %s",
                  "\n  - ".join(plan.refusals))
        return 2
    if plan.blockers and not force:
        log.error("restore refused, nothing was changed:\n  - %s\nRun again with --force to do it anyway.",
                  "\n  - ".join(plan.blockers))
        return 2
    for name in reversed(names):
        local.stop(name, settings)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for path, data in plan.keys.items():
        if path in plan.replaced:
            path.rename(path.with_name(f"{path.name}.replaced-{stamp}"))
            log.warning("kept this machine's %s as %s", path.name, f"{path.name}.replaced-{stamp}")
        secrets.write_private(path, data)
    for n, (name, store) in enumerate(sorted(found.stores.items()), start=1):
        log.info("[%d/%d] restoring %s (%s events)…", n, len(found.stores), store["database"],
                 f"{store.get('events', 0):,}")
        run_sync(backup.restore_store(settings, name, store["database"], found.folder / store["file"]))
    # Before any process or the rebuild reads the stores: nothing starts on a store that may hold the data key of
    # a person the county erased since the backup.
    if not erasures.reapply(settings, found.stores, listed):
        log.error("restored %s, but NOT every person erased since the backup is known to be forgotten: no process "
                  "was started and the read models were not rebuilt (above, and docs/backup.md)", found.folder.name)
        return 1
    for name in names:
        if name != "projector":
            local.start(name, settings)
    code = rebuild(settings, restart="projector" in names)
    if code == 0:
        log.info("restored %s in %.1f s; check it with `./gb verify`", found.folder.name, time.monotonic() - started)
    return code
