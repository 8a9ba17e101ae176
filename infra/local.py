"""Command line of the local runner: ``python -m infra.local <command>``.

  infra-up        PostgreSQL + Kafka + service databases + topics
  up              infra-up, then every application process (infra/processes.py), detached
  down            stop application processes, then Kafka, then PostgreSQL
  status          what runs, with pids and ports
  start NAME      start one component (postgres, kafka or an application process)
  stop NAME       stop one component cleanly (SIGTERM, SIGKILL after 30 s)
  kill NAME       SIGKILL one component at once (fault tests)

Every function takes an optional Settings (default: from the GB_* environment), so tests can call
infra_up(Settings(...)) directly.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import sys
import time
from collections.abc import Iterator
from typing import Any

from infra import acls, kafka, postgres, secrets, supervisor, topics
from infra.aio import run_sync
from infra.processes import app_processes, get_process, process_names
from services.kernel.settings import Settings, load_settings

log = logging.getLogger("infra")

INFRA_COMPONENTS = ("postgres", "kafka")


@contextlib.contextmanager
def _locked(settings: Settings) -> Iterator[None]:
    """One runner at a time per data directory (e.g. a test fixture and a terminal)."""
    # Data folders: owner only (see secrets.data_dir_mode for root); files inside are 0600.
    secrets.restrict_dir(settings.data_dir, secrets.data_dir_mode())
    secrets.restrict_dir(supervisor.log_dir(settings), secrets.data_dir_mode())
    secrets.restrict_dir(supervisor.pid_dir(settings))
    with open(settings.data_dir / ".runner.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another runner on %s…", settings.data_dir)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def infra_up(settings: Settings | None = None) -> None:
    """PostgreSQL, Kafka (its users and ACLs), the service databases and the topics; idempotent and quick
    when up. Secrets are generated on the first run (infra/secrets.py)."""
    started = time.monotonic()
    with _locked(settings or load_settings()):
        s = secrets.local_settings(settings or load_settings())
        kafka_pid = kafka.launch(s)  # the JVM boots while PostgreSQL starts
        postgres.start(s)
        postgres.ensure_databases(s)
        kafka.wait_ready(s, kafka_pid)
        if kafka_pid is None:
            log.info("using external Kafka at %s", s.kafka_bootstrap)
        else:
            log.info("Kafka ready on %s (pid %d)", s.bootstrap_servers, kafka_pid)
            kafka.ensure_scram_users(s)
        count = run_sync(acls.ensure_acls(s))
        log.info("Kafka ACLs ready: %d grants for %d principals", count, len(acls.grants()))
        topics.create_topics(s)
    log.info("infrastructure up in %.1f s (data in %s)", time.monotonic() - started, s.data_dir)


def up(settings: Settings | None = None) -> None:
    s = secrets.local_settings(settings or load_settings())
    started = time.monotonic()
    infra_up(s)
    with _locked(s):
        for process in app_processes(s):
            supervisor.start_app(process, s)
    log.info("all processes up in %.1f s", time.monotonic() - started)


def down(settings: Settings | None = None) -> None:
    """Stop everything in reverse order; every step is tried even if one fails."""
    s = settings or load_settings()
    started = time.monotonic()
    errors: list[str] = []
    with _locked(s):
        for process in reversed(app_processes(s)):
            try:
                supervisor.stop_app(s, process.name)
            except Exception as exc:
                errors.append(f"{process.name}: {exc}")
        for step in (kafka.stop, postgres.stop):
            try:
                step(s)
            except Exception as exc:
                errors.append(f"{step.__module__}: {exc}")
    if errors:
        raise RuntimeError("down finished with errors:\n  " + "\n  ".join(errors))
    log.info("everything stopped in %.1f s", time.monotonic() - started)


def start(name: str, settings: Settings | None = None) -> None:
    s = secrets.local_settings(settings or load_settings())
    with _locked(s):
        if name == "postgres":
            postgres.start(s)
        elif name == "kafka":
            kafka.start(s)
        else:
            supervisor.start_app(get_process(name, s), s)


def stop(name: str, settings: Settings | None = None) -> bool:
    s = settings or load_settings()
    with _locked(s):
        if name == "postgres":
            return postgres.stop(s)
        if name == "kafka":
            return kafka.stop(s)
        get_process(name, s)
        return supervisor.stop_app(s, name)


def kill(name: str, settings: Settings | None = None) -> bool:
    """SIGKILL, no lock and no grace: this is the fault tests' hammer."""
    s = settings or load_settings()
    if name == "postgres":
        return postgres.kill(s)
    if name == "kafka":
        return kafka.kill(s)
    get_process(name, s)
    return supervisor.kill_app(s, name)


def status(settings: Settings | None = None) -> list[dict[str, Any]]:
    """One row per component: name, running, pid, address."""
    s = settings or load_settings()
    rows: list[dict[str, Any]] = []
    if s.pg_dsn:
        rows.append({"name": "postgres", "running": None, "pid": None, "address": "external (GB_PG_DSN)"})
    else:
        pid = postgres.postmaster_pid(s)
        rows.append({"name": "postgres", "running": pid is not None, "pid": pid, "address": f"127.0.0.1:{s.pg_port}"})
    if s.kafka_bootstrap:
        rows.append({"name": "kafka", "running": None, "pid": None, "address": f"external {s.kafka_bootstrap}"})
    else:
        pid = kafka.running_pid(s)
        address = f"127.0.0.1:{s.kafka_port} (controller {s.kafka_controller_port})"
        rows.append({"name": "kafka", "running": pid is not None, "pid": pid, "address": address})
    for process in app_processes(s):
        pid = supervisor.app_pid(s, process.name)
        address = process.ready_url or ""
        if pid is not None and process.ready_url and not supervisor.http_ok(process.ready_url):
            address += " (not answering)"
        rows.append({"name": process.name, "running": pid is not None, "pid": pid, "address": address})
    return rows


def _print_status(s: Settings) -> None:
    print(f"data: {s.data_dir}")
    for row in status(s):
        state = {True: "running", False: "stopped", None: "external"}[row["running"]]
        pid = f"pid {row['pid']}" if row["pid"] else ""
        print(f"  {row['name']:<18} {state:<8} {pid:<11} {row['address']}")


class _ElapsedFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self.started = time.monotonic()

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"[infra {time.monotonic() - self.started:6.1f}s]"
        if record.levelno >= logging.WARNING:
            prefix += f" {record.levelname}:"
        return f"{prefix} {record.getMessage()}"


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ElapsedFormatter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


def main(argv: list[str] | None = None) -> int:
    names = [*INFRA_COMPONENTS, *process_names()]
    parser = argparse.ArgumentParser(
        prog="python -m infra.local", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for command in ("infra-up", "up", "down", "status"):
        commands.add_parser(command)
    for command in ("start", "stop", "kill"):
        commands.add_parser(command).add_argument("name", choices=names)
    args = parser.parse_args(argv)
    configure_logging()
    settings = load_settings()
    try:
        if args.command == "infra-up":
            infra_up(settings)
        elif args.command == "up":
            up(settings)
        elif args.command == "down":
            down(settings)
        elif args.command == "status":
            _print_status(settings)
        elif args.command == "start":
            start(args.name, settings)
        elif args.command in ("stop", "kill"):
            action = stop if args.command == "stop" else kill
            if not action(args.name, settings):
                log.info("%s was not running", args.name)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.error("%s failed: %s", args.command, exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
