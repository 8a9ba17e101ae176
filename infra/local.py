"""Command line of the local runner: ``python -m infra.local <command>``.

  infra-up        PostgreSQL + Kafka + service databases + topics (no supervision: the tests' harness)
  up              the supervisor (infra/daemon.py), which brings up infra-up and every application process
                  (infra/processes.py) and restarts whatever dies; shows its progress until all are ready
  down            stop the supervisor and the application processes, then Kafka, then PostgreSQL
  status          what runs, with pids, ports and restarts
  start NAME      start one component (postgres, kafka or an application process); supervised, it is no
                  longer held down
  stop NAME       stop one component cleanly (SIGTERM, SIGKILL after 30 s); supervised, it stays down
                  until `start NAME`
  kill NAME       SIGKILL one component at once (fault tests); supervised, it comes back after its backoff,
                  unless --keep-down

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
from pathlib import Path
from typing import Any

from infra import acls, kafka, kafka_storage, postgres, secrets, supervisor, topics
from infra.aio import run_sync
from infra.processes import app_processes, get_process, process_names
from services.kernel import logs, supervision
from services.kernel.settings import Settings, load_settings

log = logging.getLogger("infra")

INFRA_COMPONENTS = ("postgres", "kafka")


def infra_components(settings: Settings) -> list[str]:
    """PostgreSQL and the Kafka nodes (``kafka``, or ``kafka-1``… in a cluster)."""
    return ["postgres", *kafka.node_names(settings)]


def _check_name(settings: Settings, name: str) -> None:
    if name not in infra_components(settings):
        get_process(name, settings)
#: The supervisor's name for its pid and log files.
SUPERVISOR = "supervisor"
#: How long ``down`` gives the supervisor to stop every application process before SIGKILL.
SUPERVISOR_STOP_TIMEOUT = 300.0
#: How long ``start NAME`` waits for the supervisor to report NAME running.
SUPERVISED_START_TIMEOUT = 120.0


@contextlib.contextmanager
def runner_lock(settings: Settings) -> Iterator[None]:
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
    with runner_lock(settings or load_settings()):
        s = secrets.local_settings(settings or load_settings())
        kafka_pids = kafka.launch_all(s)  # the JVMs boot while PostgreSQL starts
        postgres.start(s)
        postgres.ensure_databases(s)
        kafka.wait_all_ready(s, kafka_pids)
        if None in kafka_pids.values():
            log.info("using external Kafka at %s", s.kafka_bootstrap)
        else:
            log.info("Kafka ready on %s (pid %s)", s.bootstrap_servers, ", ".join(map(str, kafka_pids.values())))
            kafka_storage.ensure_scram_users(s)
        count = run_sync(acls.ensure_acls(s))
        log.info("Kafka ACLs ready: %d grants for %d principals", count, len(acls.grants()))
        topics.create_topics(s)
    log.info("infrastructure up in %.1f s (data in %s)", time.monotonic() - started, s.data_dir)


def supervisor_pid(settings: Settings) -> int | None:
    """The pid of this data folder's supervisor, when one runs."""
    return supervisor.read_pid(supervisor.pid_file(settings, SUPERVISOR))


def up(settings: Settings | None = None) -> None:
    """Start the supervisor (unless it runs) and show its progress until everything is ready.

    A failed start is the supervisor's to undo (it stops what it started, then exits); this raises with why.
    Interrupted here (Ctrl-C), the supervisor is told to stop as well."""
    s = secrets.local_settings(settings or load_settings())
    started = time.monotonic()
    with runner_lock(s):  # creates the data, log and pid folders with their modes
        pid = supervisor_pid(s)
        logfile = supervisor.log_file(s, SUPERVISOR)
        offset = logfile.stat().st_size if logfile.exists() else 0
        if pid is None:
            supervision.remove_table(s)
            pid = supervisor.start_detached([sys.executable, "-m", "infra.daemon"], log_path=logfile,
                                            pid_path=supervisor.pid_file(s, SUPERVISOR), env=supervisor.child_env(s))
        else:
            log.info("the supervisor already runs (pid %d)", pid)
    try:
        follow_start(s, pid, logfile, offset)
    except KeyboardInterrupt:
        log.warning("interrupted: stopping the supervisor and what it started")
        supervisor.stop_pid(pid, name=SUPERVISOR, timeout=SUPERVISOR_STOP_TIMEOUT)
        raise
    log.info("all processes up and supervised in %.1f s (supervisor pid %d, log %s)", time.monotonic() - started,
             pid, logfile)


def follow_start(settings: Settings, pid: int, logfile: Path, offset: int) -> None:
    """Echo the supervisor's log lines from ``offset`` until its table says running (return) or failed (raise).

    No deadline of its own: every step of the start has one in the supervisor (PostgreSQL 60 s, Kafka 90 s,
    each process 90 s), and a first run may spend minutes installing PostgreSQL and fetching Kafka's jars."""
    pending = b""
    while True:
        with contextlib.suppress(FileNotFoundError), open(logfile, "rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
            offset += len(chunk)
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                echo_log_line(line.decode(errors="replace"))
        table = supervision.read_table(settings)
        if table is not None and table.supervisor_pid == pid:
            if table.phase == "running":
                return
            if table.phase == "failed":
                raise RuntimeError(f"the start failed and was undone: {table.error} (log: {logfile})")
        if not supervisor.is_alive(pid):
            raise RuntimeError(f"the supervisor exited during the start; last lines of {logfile}:\n"
                               f"{supervisor.tail(logfile)}")
        time.sleep(0.1)  # polling the supervisor's log and table, a separate process


def echo_log_line(line: str) -> None:
    """A line of a JSON log (the supervisor's, a task's), shown as the runner's own progress."""
    entry = logs.parse(line)
    if entry is None:
        if line.strip() and not line.startswith("==="):
            print(line, file=sys.stderr)
        return
    level = logging.getLevelName(str(entry.get("level", "info")).upper())
    level = level if isinstance(level, int) else logging.INFO
    if level < logging.WARNING and str(entry.get("logger", "")).startswith("aiokafka"):
        return  # its connection chatter is not progress
    log.log(level, "%s", entry.get("message", ""))


def down(settings: Settings | None = None) -> None:
    """Stop everything in reverse order; every step is tried even if one fails."""
    s = settings or load_settings()
    started = time.monotonic()
    errors: list[str] = []
    pid = supervisor_pid(s)
    if pid is not None:
        # First the supervisor, so that nothing is restarted while it goes down; it stops the application
        # processes itself (it is their parent). What it leaves behind is stopped below.
        try:
            supervisor.stop_pid(pid, name=SUPERVISOR, timeout=SUPERVISOR_STOP_TIMEOUT)
            supervisor.pid_file(s, SUPERVISOR).unlink(missing_ok=True)
            log.info("supervisor stopped (pid %d)", pid)
        except Exception as exc:
            errors.append(f"{SUPERVISOR}: {exc}")
    # Nothing is held down, and no demo loads, once everything is down: the next `up` starts afresh.
    supervision.remove_table(s)
    supervision.demo_path(s).unlink(missing_ok=True)
    for hold in supervision.folder(s).glob("hold/*"):
        hold.unlink(missing_ok=True)
    with runner_lock(s):
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
    """Start one component. Supervised: release its hold and wait until the supervisor reports it running."""
    s = secrets.local_settings(settings or load_settings())
    _check_name(s, name)
    supervision.hold_path(s, name).unlink(missing_ok=True)
    if supervisor_pid(s) is not None:
        wait_supervised(s, name)
        return
    with runner_lock(s):
        if name == "postgres":
            postgres.start(s)
        elif name in kafka.node_names(s):
            kafka.start(s, node=kafka.node_of(s, name))
        else:
            supervisor.start_app(get_process(name, s), s)


def wait_supervised(settings: Settings, name: str, timeout: float = SUPERVISED_START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        table = supervision.read_table(settings)
        row = next((r for r in table.processes if r.name == name), None) if table else None
        if row is not None and row.state == "running":
            log.info("%s running (pid %s), supervised", name, row.pid)
            return
        if time.monotonic() >= deadline:
            raise RuntimeError(f"the supervisor did not report {name} running within {timeout:.0f} s "
                               f"({supervision.describe(row) if row else 'not in its table'})")
        time.sleep(0.1)  # polling the supervisor's table, a separate process


def _hold(settings: Settings, name: str) -> None:
    """Tell the supervisor (if one runs) to leave ``name`` down until ``start NAME``."""
    if supervisor_pid(settings) is None:
        return
    path = supervision.hold_path(settings, name)
    secrets.restrict_dir(path.parent)
    path.touch()


def stop(name: str, settings: Settings | None = None) -> bool:
    s = settings or load_settings()
    _check_name(s, name)
    _hold(s, name)
    with runner_lock(s):
        if name == "postgres":
            return postgres.stop(s)
        if name in kafka.node_names(s):
            return kafka.stop(s, node=kafka.node_of(s, name))
        return supervisor.stop_app(s, name)


def kill(name: str, settings: Settings | None = None, *, keep_down: bool = False) -> bool:
    """SIGKILL, no lock and no grace: this is the fault tests' hammer. Supervised, the process comes back
    after its backoff unless ``keep_down``."""
    s = settings or load_settings()
    _check_name(s, name)
    if keep_down:
        _hold(s, name)
    if name == "postgres":
        return postgres.kill(s)
    if name in kafka.node_names(s):
        return kafka.kill(s, kafka.node_of(s, name))
    return supervisor.kill_app(s, name)


def status(settings: Settings | None = None) -> list[dict[str, Any]]:
    """One row per component: name, running, pid, address, and what the supervisor knows of it (state,
    restarts, the last exit and when) — the supervisor itself first."""
    s = settings or load_settings()
    table = supervision.read_table(s)
    pid = supervisor_pid(s)
    if table is not None and (pid is None or not table.is_fresh() or table.supervisor_pid != pid):
        table = None  # left by a supervisor that is gone
    rows: list[dict[str, Any]] = [{
        "name": SUPERVISOR, "running": pid is not None, "pid": pid,
        "address": (f"{table.phase}, restarts what dies" if table else "not running: nothing restarts a crashed "
                    "process (./gb run starts it)"),
    }]
    if s.pg_dsn:
        rows.append({"name": "postgres", "running": None, "pid": None, "address": "external (GB_PG_DSN)"})
    else:
        pid = postgres.postmaster_pid(s)
        rows.append({"name": "postgres", "running": pid is not None, "pid": pid, "address": f"127.0.0.1:{s.pg_port}"})
    if s.kafka_bootstrap:
        rows.append({"name": "kafka", "running": None, "pid": None, "address": f"external {s.kafka_bootstrap}"})
    else:
        for node in kafka.nodes(s):
            pid = kafka.running_pid(s, node)
            address = (f"127.0.0.1:{s.kafka_node_port(node)} (partners {s.kafka_node_partner_port(node)}, "
                       f"controller {s.kafka_node_controller_port(node)})")
            rows.append({"name": kafka.node_name(s, node), "running": pid is not None, "pid": pid,
                         "address": address})
    for process in app_processes(s):
        pid = supervisor.app_pid(s, process.name)
        address = process.ready_url or ""
        if pid is not None and process.ready_url and not supervisor.http_ok(process.ready_url):
            address += " (not answering)"
        rows.append({"name": process.name, "running": pid is not None, "pid": pid, "address": address})
    supervised = {row.name: row for row in table.processes} if table else {}
    for row in rows:
        known = supervised.get(row["name"])
        if known is not None:
            row.update(state=known.state, restarts=known.restarts, last_exit=known.last_exit,
                       last_exit_at=known.last_exit_at)
    return rows


def _print_status(s: Settings) -> None:
    demo = supervision.read_demo_state(s)
    print(f"data: {s.data_dir}" + (f"   demo data: {demo}" if demo else ""))
    for row in status(s):
        state = row.get("state") or {True: "running", False: "stopped", None: "external"}[row["running"]]
        pid = f"pid {row['pid']}" if row["pid"] else ""
        line = f"  {row['name']:<18} {state:<8} {pid:<11} {row['address']}"
        if row.get("restarts") or row.get("last_exit"):
            when = time.strftime("%H:%M:%S", time.localtime(row["last_exit_at"])) if row.get("last_exit_at") else "?"
            line += f"   restarts {row['restarts']}, last ended {when}: {row['last_exit']}"
        print(line)


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
    names = [*infra_components(load_settings()), *process_names()]
    parser = argparse.ArgumentParser(
        prog="python -m infra.local", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for command in ("infra-up", "up", "down", "status"):
        commands.add_parser(command)
    for command in ("start", "stop", "kill"):
        parser_of = commands.add_parser(command)
        parser_of.add_argument("name", choices=names)
        if command == "kill":
            parser_of.add_argument("--keep-down", action="store_true",
                                   help="the supervisor leaves it down until `start NAME`")
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
            done = stop(args.name, settings) if args.command == "stop" else kill(args.name, settings,
                                                                                 keep_down=args.keep_down)
            if not done:
                log.info("%s was not running", args.name)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.error("%s failed: %s", args.command, exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
