"""The supervisor: one detached process per data folder that brings the whole system up and keeps it up.

``python -m infra.local up`` starts it (``python -m infra.daemon``, pid file pids/supervisor.pid, log
logs/supervisor.log) and shows its progress; ``down`` stops it first. It

* starts PostgreSQL, Kafka and every application process (infra/processes.py), each waited for until ready;
  if any of them fails to start, it stops what it started (and only that) and exits non-zero — a failed
  start never leaves a Kafka behind;
* restarts whatever dies afterwards — an application process, Kafka or PostgreSQL — after a backoff that
  starts at 0.5 s and doubles up to 30 s for a process that keeps crashing, and falls back to 0.5 s once the
  process has stayed up for a minute; each exit and restart is logged with how the process ended;
* leaves a process down while a hold file says so (``python -m infra.local stop NAME``, or ``kill NAME
  --keep-down`` for a fault test that wants nothing to come back) until ``start NAME`` removes it;
* publishes its process table (services/kernel/supervision.py) on every change and every second, which
  ``./gb status`` prints and the gateway's /readyz reports: not ready while any process is down.

Why a process of its own: ``./gb run`` returns once the system is up, and a supervisor must outlive the
terminal that started it. It is the parent of the application processes and of Kafka, and a child subreaper
(prctl), so PostgreSQL's postmaster — which pg_ctl leaves behind as an orphan — becomes its child too: it
learns how each of them ended (an exit code or a signal) instead of only noticing that a pid is gone.
It is single-threaded on purpose: it reaps only the pids it knows, never ``waitpid(-1)``, so it never takes
the exit status of a short-lived command (pg_ctl, kafka-configs) from the library that ran it.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType
from typing import Literal

from infra import kafka, local, postgres, secrets, supervisor
from infra.processes import AppProcess, app_processes
from infra.reaping import become_subreaper, exited, sweep_orphans
from services.kernel import logs, supervision
from services.kernel.settings import Settings, load_settings
from services.kernel.supervision import ProcessRow, State

log = logging.getLogger("infra")

#: Backoff before restarting a process that died: doubles per crash up to the ceiling.
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0
#: A process up at least this long is stable again: its next crash waits BACKOFF_FIRST.
STABLE_AFTER = 60.0
#: How often the supervisor looks at its processes.
TICK = 0.2
#: A restarted process must answer its readiness URL within this long, or it counts as crashed.
READY_TIMEOUT = 90.0
#: Orphans other than the postmaster (rare) are reaped this often by scanning /proc.
ORPHAN_SWEEP = 5.0

Kind = Literal["postgres", "kafka", "app"]


class Stopping(Exception):
    """SIGTERM or SIGINT arrived during start-up: stop what was started."""


@dataclass
class Supervised:
    """One process the supervisor keeps up (mutable: it is the supervisor's own bookkeeping)."""

    name: str
    kind: Kind
    process: AppProcess | None = None
    #: A Kafka node's id (a cluster has several).
    node: int = kafka.NODE_ID
    state: State = "stopped"
    pid: int | None = None
    restarts: int = 0
    last_exit: str | None = None
    last_exit_at: float | None = None
    since: float | None = None
    next_start_at: float | None = None
    backoff: float = BACKOFF_FIRST
    #: Monotonic time of the current start, and the deadline to become ready.
    started: float = 0.0
    ready_by: float = 0.0
    #: Our Popen of it, when we started it: it keeps the exit status even when another part of the runner
    #: (supervisor.is_alive) reaped the zombie first.
    child: subprocess.Popen[bytes] | None = None

    def running(self, pid: int | None) -> None:
        """Record a fresh start of ``pid``."""
        self.pid, self.started = pid, time.monotonic()
        self.child = supervisor.child(pid) if pid is not None else None

    def row(self) -> ProcessRow:
        return ProcessRow(
            name=self.name,
            state=self.state,
            pid=self.pid,
            restarts=self.restarts,
            last_exit=self.last_exit,
            last_exit_at=self.last_exit_at,
            since=self.since,
            next_start_at=self.next_start_at,
        )


class Supervisor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.phase: supervision.Phase = "starting"
        self.error: str | None = None
        self.started_at = time.time()
        self.stopping = False
        self.runs: list[Supervised] = [Supervised("postgres", "postgres")]
        self.runs += [Supervised(kafka.node_name(settings, n), "kafka", node=n) for n in kafka.nodes(settings)]
        #: PostgreSQL and the Kafka nodes come first in ``runs``; the application processes follow.
        self.infra = len(self.runs)
        self.runs += [Supervised(p.name, "app", process=p) for p in app_processes(settings)]
        self.published = 0.0

    # ----------------------------------------------------------------------------------------- the table

    def publish(self, force: bool = True) -> None:
        now = time.time()
        if not force and now - self.published < supervision.HEARTBEAT_SECONDS:
            return
        table = supervision.Table(
            supervisor_pid=os.getpid(),
            phase=self.phase,
            updated_at=now,
            started_at=self.started_at,
            error=self.error,
            processes=tuple(run.row() for run in self.runs),
        )
        supervision.write_table(self.settings, table)
        self.published = now

    def _set(self, run: Supervised, state: State, pid: int | None = None) -> None:
        if pid is not None and pid != run.pid:
            run.running(pid)
        run.state, run.pid, run.since = state, pid, time.time()
        self.publish()

    # ----------------------------------------------------------------------------------------- start-up

    def start_up(self) -> None:
        """Everything, in order, each waited for; on any failure stop what this start started."""
        s = self.settings
        pg_before = s.pg_dsn != "" or postgres.postmaster_pid(s) is not None
        kafka_before = s.kafka_bootstrap != "" or any(kafka.running_pid(s, n) is not None for n in kafka.nodes(s))
        started: list[Supervised] = []
        try:
            local.infra_up(s)
            for run in self.runs[:self.infra]:
                self._adopt_infra(run)
            with local.runner_lock(s):
                for run in self.runs[self.infra:]:
                    if self.stopping:
                        raise Stopping()
                    assert run.process is not None
                    if supervision.hold_path(s, run.name).exists():
                        self._set(run, "held")
                        continue
                    pid = supervisor.app_pid(s, run.name)
                    if pid is None:
                        started.append(run)
                        self._set(run, "starting")
                    pid = supervisor.start_app(run.process, s, ready_timeout=READY_TIMEOUT)
                    self._set(run, "running", pid)
        except BaseException as exc:
            why = "stopped during start-up" if isinstance(exc, Stopping) else str(exc)
            log.error("start failed: %s; stopping what this start started", why)
            # "failed" only once the undo is done: `up` returns on it, and must not leave a Kafka still stopping.
            self.phase = "stopping"
            self.publish()
            self._undo(started, stop_kafka=not kafka_before, stop_postgres=not pg_before)
            self.error, self.phase = (why.splitlines() or [""])[0], "failed"
            self.publish()
            raise
        self.phase = "running"
        self.publish()

    def _adopt_infra(self, run: Supervised) -> None:
        s = self.settings
        external = s.pg_dsn if run.kind == "postgres" else s.kafka_bootstrap
        if external:
            self._set(run, "running")  # an external server is its operator's to keep up
            return
        if supervision.hold_path(s, run.name).exists():
            self._set(run, "held")
            return
        pid = postgres.postmaster_pid(s) if run.kind == "postgres" else kafka.running_pid(s, run.node)
        self._set(run, "running" if pid else "stopped", pid)

    def _undo(self, started: list[Supervised], *, stop_kafka: bool, stop_postgres: bool) -> None:
        s = self.settings
        for run in reversed(started):
            try:
                supervisor.stop_app(s, run.name)
            except Exception as exc:
                log.error("stopping %s failed: %s", run.name, exc)
            self._set(run, "stopped")
        for wanted, stop, name in ((stop_kafka, kafka.stop, "kafka"), (stop_postgres, postgres.stop, "postgres")):
            if wanted:
                try:
                    stop(s)
                except Exception as exc:
                    log.error("stopping %s failed: %s", name, exc)
        for run in self.runs[:self.infra]:
            self._set(run, "stopped")

    # ----------------------------------------------------------------------------------------- keeping up

    def tick(self) -> None:
        now = time.monotonic()
        for run in self.runs:
            if self.stopping:
                return
            self._look_at(run, now)
        self.publish(force=False)

    def _look_at(self, run: Supervised, now: float) -> None:
        s = self.settings
        held = supervision.hold_path(s, run.name).exists()
        if run.state in ("running", "starting") and run.pid is not None:
            how = exited(run.pid, run.child)
            if how is None:
                if run.state == "starting":
                    self._check_ready(run, now)
                return
            self._died(run, how, held)
            return
        if run.state in ("running", "starting") and run.pid is None:
            return  # external
        if held:
            if run.state != "held":
                self._set(run, "held")
            return
        if run.state in ("held", "stopped"):
            run.backoff = BACKOFF_FIRST
            self._start(run, restart=False)
        elif run.state == "backoff" and run.next_start_at is not None and time.time() >= run.next_start_at:
            self._start(run, restart=True)

    def _died(self, run: Supervised, how: str, held: bool) -> None:
        up_for = time.monotonic() - run.started if run.started else 0.0
        run.last_exit, run.last_exit_at = how, time.time()
        if held:
            log.info("%s (pid %s) ended: %s; held down", run.name, run.pid, how)
            self._set(run, "held")
            return
        if up_for >= STABLE_AFTER:
            run.backoff = BACKOFF_FIRST
        run.next_start_at = time.time() + run.backoff
        log.warning(
            "%s (pid %s) ended: %s after %.1f s up; restart %d in %.1f s",
            run.name,
            run.pid,
            how,
            up_for,
            run.restarts + 1,
            run.backoff,
        )
        run.backoff = min(run.backoff * 2, BACKOFF_MAX)
        self._set(run, "backoff")

    def _start(self, run: Supervised, *, restart: bool) -> None:
        s = self.settings
        if restart:
            run.restarts += 1
        run.next_start_at = None
        run.started = began = time.monotonic()
        try:
            if run.kind == "postgres":
                postgres.start(s)  # waits until it answers (crash recovery included)
                self._set(run, "running", postgres.postmaster_pid(s))
            elif run.kind == "kafka":
                pid = kafka.start(s, node=run.node)
                self._set(run, "running", pid)
            else:
                assert run.process is not None
                pid = supervisor.start_detached(
                    run.process.argv,
                    log_path=supervisor.log_file(s, run.name),
                    pid_path=supervisor.pid_file(s, run.name),
                    env=supervisor.child_env(
                        s, {**supervisor.kafka_credentials_env(s, run.process), **run.process.env}
                    ),
                )
                run.ready_by = run.started + (READY_TIMEOUT if run.process.ready_url else supervisor.SETTLE_SECONDS)
                self._set(run, "starting", pid)
                return
        except Exception as exc:
            why = (str(exc).splitlines() or [""])[0][:200]
            self._died(run, f"failed to start ({exc.__class__.__name__}: {why})", False)
            return
        log.info(
            "%s %s (pid %s) in %.1f s",
            run.name,
            "restarted" if restart else "started",
            run.pid,
            time.monotonic() - began,
        )
        self._dependency_back()

    def _check_ready(self, run: Supervised, now: float) -> None:
        assert run.process is not None and run.pid is not None
        url = run.process.ready_url
        if url is not None and supervisor.http_ok(url, timeout=0.5):
            ready = True
        elif url is None:
            ready = now >= run.ready_by
        else:
            ready = False
            if now >= run.ready_by:
                log.error("%s (pid %d) not ready at %s after %.0f s; killing it", run.name, run.pid, url, READY_TIMEOUT)
                supervisor.kill_pid(run.pid)
                return  # the next look sees it dead and backs off
        if ready:
            log.info(
                "%s %s (pid %d) in %.1f s",
                run.name,
                "restarted" if run.restarts else "started",
                run.pid,
                now - run.started,
            )
            self._set(run, "running", run.pid)

    def _dependency_back(self) -> None:
        """PostgreSQL or Kafka is back: processes that crashed while it was gone start now, not after their
        grown backoff (up to 30 s) — they failed for want of it, not on their own."""
        for run in self.runs:
            if run.kind == "app" and run.state == "backoff":
                run.next_start_at = time.time()
                run.backoff = BACKOFF_FIRST

    # ----------------------------------------------------------------------------------------- shutdown

    def shut_down(self) -> None:
        """Stop every application process (reverse order); PostgreSQL and Kafka are left to ``down``."""
        self.phase = "stopping"
        self.publish()
        for run in reversed(self.runs):
            if run.kind != "app" or run.pid is None or run.state not in ("running", "starting"):
                continue
            try:
                supervisor.stop_pid(run.pid, name=run.name)
                exited(run.pid, run.child)
            except Exception as exc:
                log.error("stopping %s failed: %s", run.name, exc)
            supervisor.pid_file(self.settings, run.name).unlink(missing_ok=True)
            self._set(run, "stopped")
            log.info("%s stopped", run.name)

    def known_pids(self) -> set[int]:
        return {run.pid for run in self.runs if run.pid is not None} | supervisor.children()


def main() -> int:
    logs.configure()
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    settings = secrets.local_settings(load_settings())
    become_subreaper()
    daemon = Supervisor(settings)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: shutting down", signal.Signals(signum).name)
        daemon.stopping = True
        if daemon.phase == "starting":
            raise Stopping()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("supervisor %d for %s", os.getpid(), settings.data_dir)
    daemon.publish()
    try:
        daemon.start_up()
    except BaseException:
        return 1
    log.info("all processes up; supervising (backoff %.1f s doubling to %.0f s)", BACKOFF_FIRST, BACKOFF_MAX)
    last_sweep = time.monotonic()
    while not daemon.stopping:
        try:
            daemon.tick()
        except Exception:  # a supervisor that dies of one bad look would leave everything unsupervised
            log.exception("supervising failed this once; going on")
        if time.monotonic() - last_sweep >= ORPHAN_SWEEP:
            sweep_orphans(daemon.known_pids())
            last_sweep = time.monotonic()
        time.sleep(TICK)  # the supervisor's own polling period, not a test's synchronisation
    daemon.shut_down()
    supervision.remove_table(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
