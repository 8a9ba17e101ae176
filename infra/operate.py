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
  restore FOLDER [--force] [--erasures-from FILE]
                            check the backup whole, say what will change, put the stores and the missing keys
                            back (the running processes held down meanwhile), forget again whoever was erased
                            after the backup (infra/erasures.py), then rebuild the read models from Kafka;
                            refuses a damaged backup, and a system holding data unless --force (infra/restore.py)

Each task runs the system's own program (services/…) with the runner's settings and the operator's
credentials, so it works outside the venv's shell, and shows its log lines as they come; a task that logs no
progress of its own (the rebuild, the deadline engine) is shown with what it has done so far every few seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from infra import backup, local, secrets, supervisor
from infra.aio import run_sync
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
    restoring.add_argument("--erasures-from", metavar="FILE",
                           help="the member ids of every person erased since the backup, one per line (an empty "
                                "file: none), forgotten in the restored store; needed when Kafka cannot show them")
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
            from infra.restore import restore  # it rebuilds with this module's `rebuild`

            return restore(settings, Path(args.folder).expanduser(), force=args.force, show_secret=args.show_secret,
                           erasures_from=Path(args.erasures_from).expanduser() if args.erasures_from else None)
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
