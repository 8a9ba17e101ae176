"""Operator tasks on the running system, each with its progress shown: ``python -m infra.operate TASK`` (the
``./gb deadlines``, ``./gb dues-run``, ``./gb rebuild`` commands).

  deadlines [--on DAY]      raise the due items of every record for a day (default: today in the county)
  dues-run --month YYYY-MM  assess one month's dues on every account
  rebuild                   the read models projected again from offset 0: the projector is held down, the
                            read models dropped and rebuilt from every event on Kafka, then the projector runs
                            again (the gateway's /readyz says not ready meanwhile: the read models lag)
  demo                      load the demo data through the public API and raise today's due items (`./gb run`);
                            /readyz says "demo": "loading" until it is done
  backup [--to DIR]         every store (pg_dump), the keys and the secrets into a new dated folder under DIR
                            (default: backups/ beside the data folder); infra/backup.py, docs/backup.md
  restore FOLDER [--force]  check the backup whole, say what will change, put the stores and the missing keys
                            back (the running processes held down meanwhile), forget again whoever was erased
                            after the backup (infra/erasures.py), then rebuild the read models from Kafka;
                            refuses a damaged backup, and a system holding data unless --force

Each task runs the system's own program (services/…) with the runner's settings and the operator's
credentials, so it works outside the venv's shell, and shows its log lines as they come; a task that logs no
progress of its own (the rebuild, the deadline engine) is shown with what it has done so far every few seconds.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra import backup, erasures, local, postgres, secrets, supervisor
from infra.aio import run_sync
from infra.processes import app_processes
from services import system
from services.kernel import supervision
from services.kernel.kafka import event_consumer
from services.kernel.projection import lag
from services.kernel.settings import Settings, load_settings

log = logging.getLogger("infra")

#: How often a task without progress of its own is reported on.
PROGRESS_EVERY = 5.0


def run_with_progress(
    settings: Settings, argv: Sequence[str], what: str, progress: Callable[[], str] | None = None
) -> int:
    """Run ``argv`` as the operator, echo its log lines, and say every PROGRESS_EVERY seconds how far it is."""
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, *argv],
        env=supervisor.child_env(settings),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )

    def echo() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            local.echo_log_line(line.rstrip("\n"))

    reader = threading.Thread(target=echo, daemon=True)
    reader.start()
    while True:
        try:
            code = child.wait(timeout=PROGRESS_EVERY)
            break
        except subprocess.TimeoutExpired:
            detail = ""
            if progress is not None:
                with contextlib.suppress(Exception):  # progress is a courtesy, never a failure
                    detail = f": {progress()}"
            log.info("%s running for %.0f s%s", what, time.monotonic() - started, detail)
    reader.join(timeout=5)
    if code == 0:
        log.info("%s done in %.1f s", what, time.monotonic() - started)
    else:
        log.error("%s failed (exit %d) after %.1f s", what, code, time.monotonic() - started)
    return code


async def _left_to_project(settings: Settings) -> int:
    import asyncpg

    consumer = event_consumer(settings, "gb-operator-progress")
    await consumer.start()
    try:
        pool = await asyncpg.create_pool(settings.dsn(system.READ_MODEL_DATABASE), min_size=1, max_size=1)
        try:
            return await lag(pool, consumer, system.topics())
        finally:
            await pool.close()
    finally:
        await consumer.stop()


def rebuild(settings: Settings, *, restart: bool = True) -> int:
    """Hold the projector down, project every event again into fresh read models, start it again (unless
    ``restart`` is False: a restore onto a system whose processes were not running leaves them so)."""
    local.stop("projector", settings)
    try:
        return run_with_progress(
            settings,
            ["-m", "services.gateway.projector", "--rebuild", "--schema", "public"],
            "rebuild",
            progress=lambda: f"{run_sync(_left_to_project(settings)):,} events left to project",
        )
    finally:
        if restart:
            local.start("projector", settings)


def take_backup(settings: Settings, to: str | None) -> int:
    parent = Path(to).expanduser().resolve() if to else settings.data_dir.parent / "backups"
    folder = backup.take(settings, parent, backup.passphrase(settings))
    print(folder)  # the command's answer, for scripts: where the backup is
    return 0


@dataclass
class RestorePlan:
    """What a restore will do, and what stops it without --force; nothing is changed while it is made."""

    steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
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


def plan_restore(settings: Settings, found: backup.Backup, material: dict[str, Any]) -> RestorePlan:
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
    return plan


def restore(settings: Settings, folder: Path, *, force: bool, show_secret: str | None = None) -> int:
    """Verify, plan, and (unless refused) restore the backup in ``folder``, then rebuild the read models."""
    started = time.monotonic()
    found = backup.verify(folder)
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
    plan = plan_restore(settings, found, material)
    supervised = local.supervisor_pid(settings) is not None
    names = [p.name for p in app_processes(settings) if supervised or supervisor.app_pid(settings, p.name)]
    plan.steps.insert(0, f"hold down {len(names)} running processes while it restores" if names else
                      "no process of the system runs; none is started")
    plan.steps.append("forget again, before anything reads the restored membership store, every person erased "
                      "after the backup (the erasures on Kafka beyond its last membership position)")
    plan.steps.append("rebuild the read models from every event on Kafka" +
                      (", then start the processes again" if names else ""))
    log.info("restore %s will:\n  - %s", found.folder, "\n  - ".join(plan.steps))
    for warning in plan.warnings:
        log.warning("%s", warning)
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
    forgotten = erasures.reapply(settings, found.stores)  # before any process or the rebuild reads the stores
    for name in names:
        if name != "projector":
            local.start(name, settings)
    code = rebuild(settings, restart="projector" in names)
    if code == 0 and not forgotten:
        log.error("restored %s, but NOT every erasure recorded since the backup could be re-applied: repeat them "
                  "before the system is used (above, and docs/backup.md)", found.folder.name)
        return 1
    if code == 0:
        log.info("restored %s in %.1f s; check it with `./gb verify`", found.folder.name, time.monotonic() - started)
    return code


def load_demo(settings: Settings | None = None) -> int:
    """The demo data through the public API (demo/), then today's due items; marks the demo's state for
    /readyz (loading, then loaded or failed). Returns the demo loader's exit status."""
    s = secrets.local_settings(settings or load_settings())
    env = supervisor.child_env(s)
    supervision.write_demo_state(s, "loading")
    started = time.monotonic()
    log.info("loading the demo data through the public API (demo/)…")
    rc = subprocess.run([sys.executable, "-m", "demo"], env=env, stdin=subprocess.DEVNULL).returncode
    if rc != 0:
        supervision.write_demo_state(s, "failed")
        log.error("the demo data loader failed (exit %d); the system is still running", rc)
        return rc
    # Today's due items for the demo now, rather than at the engine's next hourly run.
    engine = subprocess.run(
        [sys.executable, "-m", "services.membership.deadlines"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if engine.returncode != 0:
        log.warning(
            "the deadline engine run failed (exit %d): %s",
            engine.returncode,
            engine.stderr.strip().splitlines()[-1:] or "",
        )
    supervision.write_demo_state(s, "loaded")
    log.info("demo data loaded in %.1f s", time.monotonic() - started)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.operate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    tasks = parser.add_subparsers(dest="task", required=True)
    tasks.add_parser("deadlines").add_argument("--on", help="the day, YYYY-MM-DD (default: today in the county)")
    tasks.add_parser("dues-run").add_argument("--month", required=True, help="YYYY-MM")
    tasks.add_parser("rebuild")
    tasks.add_parser("demo")
    tasks.add_parser("backup").add_argument("--to", help="the folder to write the dated backup folder into")
    restoring = tasks.add_parser("restore")
    restoring.add_argument("folder", help="the backup folder (golden-bridge-YYYYMMDDTHHMMSSZ)")
    restoring.add_argument("--force", action="store_true",
                           help="replace a system's data and keys that differ from the backup's (says what first)")
    restoring.add_argument("--show-secret", metavar="VARIABLE",
                           help="print one environment secret kept in the backup (e.g. GB_MEMBERSHIP_MASTER_KEY) "
                                "and change nothing")
    args = parser.parse_args(argv)
    local.configure_logging()
    settings = secrets.local_settings(load_settings())
    try:
        if args.task == "deadlines":
            return run_with_progress(
                settings,
                ["-m", "services.membership.deadlines", *(["--on", args.on] if args.on else [])],
                "the deadline engine",
            )
        if args.task == "dues-run":
            return run_with_progress(
                settings, ["-m", "services.membership.dues_run", "--month", args.month], f"the dues run of {args.month}"
            )
        if args.task == "demo":
            return load_demo(settings)
        if args.task == "backup":
            return take_backup(settings, args.to)
        if args.task == "restore":
            return restore(settings, Path(args.folder).expanduser(), force=args.force, show_secret=args.show_secret)
        return rebuild(settings)
    except KeyboardInterrupt:
        return 130
    except backup.BackupError as exc:
        log.error("%s: %s", args.task, exc)
        return 2
    except Exception as exc:
        log.error("%s failed: %s", args.task, exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
