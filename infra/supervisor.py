"""Detached processes: start in a new session, pid files, liveness, SIGTERM/SIGKILL stop.

A pid file holds one line, the pid. Before trusting it we check that the process is alive, is no
zombie, and started when the pid file was written (kernel start time vs. file mtime), so a
recycled pid is never signalled.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from infra import secrets
from infra.processes import AppProcess
from services import system
from services.kernel.settings import REPO_ROOT, Settings

log = logging.getLogger("infra")

#: Popen objects of the children this Python process started, so they can be reaped (a killed
#: child stays a zombie, and looks alive, until its parent waits for it).
_children: dict[int, subprocess.Popen[bytes]] = {}


def child(pid: int) -> subprocess.Popen[bytes] | None:
    """The Popen of a process this Python process started, while it is not known to have ended."""
    return _children.get(pid)


def children() -> set[int]:
    return set(_children)


def forget(pid: int) -> None:
    _children.pop(pid, None)


class ProcessError(RuntimeError):
    """A process failed to start, died, or did not become ready."""


def pid_dir(settings: Settings) -> Path:
    return settings.data_dir / "pids"


def log_dir(settings: Settings) -> Path:
    return settings.data_dir / "logs"


def pid_file(settings: Settings, name: str) -> Path:
    return pid_dir(settings) / f"{name}.pid"


def log_file(settings: Settings, name: str) -> Path:
    return log_dir(settings) / f"{name}.log"


# --------------------------------------------------------------------------- settings → env


def settings_env_names() -> dict[str, str]:
    """Map each Settings field to the GB_* variable it is read from.

    The names are taken from the fields' default factories in services/kernel/settings.py (each
    calls ``_env("GB_…", default)``), so they are not repeated here.
    """
    names: dict[str, str] = {}
    for f in dataclasses.fields(Settings):
        factory = f.default_factory
        code = getattr(factory, "__code__", None)
        if code is None:
            continue
        found = [c for c in code.co_consts if isinstance(c, str) and c.startswith("GB_")]
        if len(found) == 1:
            names[f.name] = found[0]
    return names


def settings_env(settings: Settings) -> dict[str, str]:
    """The GB_* variables that make a child process see exactly ``settings``."""
    env: dict[str, str] = {}
    for field_name, var in settings_env_names().items():
        value = getattr(settings, field_name)
        env[var] = str(value)
    env.update(settings.service_env(system.default_ports()))
    return env


def child_env(settings: Settings, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child that acts as this process does (its own Kafka principal included:
    the tools and tests run as the operator); start_app narrows it to an application process's own."""
    env = dict(os.environ)
    env.update(settings_env(settings))
    env.update(extra or {})
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def kafka_credentials_env(settings: Settings, process: AppProcess) -> dict[str, str]:
    """GB_KAFKA_USERNAME / GB_KAFKA_PASSWORD of ``process``'s own principal — set, and empty for a
    process without one, so that it never falls back to the operator (services/kernel/settings.py)."""
    principal = process.kafka_principal
    if principal is None:
        return {"GB_KAFKA_USERNAME": "", "GB_KAFKA_PASSWORD": ""}
    return {"GB_KAFKA_USERNAME": principal, "GB_KAFKA_PASSWORD": secrets.kafka_password(settings, principal)}


# --------------------------------------------------------------------------- liveness


def _proc_state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # "pid (comm) S ..." — comm may contain spaces and parentheses.
    return stat.rsplit(")", 1)[1].split()[0]


def _reap(pid: int) -> None:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is not None:
            _children.pop(pid, None)
        return
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0


def start_ticks(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (field 22 of /proc/<pid>/stat): a process's own mark that no
    change of the wall clock moves."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])  # fields[0] is field 3


def started_at(pid: int) -> float | None:
    """Wall-clock start time of ``pid`` (1 s resolution), from /proc."""
    ticks = start_ticks(pid)
    return None if ticks is None else _boot_time() + ticks / os.sysconf("SC_CLK_TCK")


def is_alive(pid: int) -> bool:
    """True when ``pid`` exists and is not a zombie (our own zombies are reaped on the way)."""
    state = _proc_state(pid)
    if state == "Z":
        _reap(pid)
        state = _proc_state(pid)
    return state is not None and state not in ("Z", "X")


def read_pid(path: Path) -> int | None:
    """The live pid recorded in ``path``, or None (a stale file is removed).

    The file holds the pid and its start in ticks since boot (:func:`write_pid`): a live process with that pid
    and another start is a different one that got a recycled pid. Ticks, not the wall clock: when the clock is
    stepped (NTP at boot, a suspended machine resumed), a process's start read as a wall-clock time moves with
    it, and every pid file looked stale — removed, with its processes left running unseen and nothing able to
    stop them. A file holding the pid alone (written before the ticks were) is judged by its time as before."""
    recorded = _recorded(path)
    if recorded is None:
        return None
    pid, ticks, written = recorded
    if is_alive(pid):
        if ticks is not None:
            if start_ticks(pid) == ticks:
                return pid
        else:
            start = started_at(pid)
            # The pid file is written right after the process starts; a process that started later
            # (or long before) is a different one that got a recycled pid.
            if start is not None and written - 120 <= start <= written + 2:
                return pid
    path.unlink(missing_ok=True)
    return None


def _recorded(path: Path) -> tuple[int, int | None, float] | None:
    """What ``path`` records (:func:`write_pid`): the pid, its start in ticks if written, the file's time."""
    try:
        fields = path.read_text().split()
        return int(fields[0]), int(fields[1]) if len(fields) > 1 else None, path.stat().st_mtime
    except (FileNotFoundError, ValueError, IndexError):
        return None


def write_pid(path: Path, pid: int) -> None:
    """Record ``pid`` and its start (:func:`read_pid`), atomically."""
    ticks = start_ticks(pid)
    tmp = path.with_suffix(".pid.tmp")
    tmp.write_text(f"{pid} {ticks}\n" if ticks is not None else f"{pid}\n")
    tmp.replace(path)


# --------------------------------------------------------------------------- start / stop


def start_detached(
    argv: Sequence[str],
    *,
    log_path: Path,
    pid_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO_ROOT,
) -> int:
    """Start ``argv`` in a new session (its own process group), output appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    pid_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "ab") as out:
        out.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(argv)}\n".encode())
        out.flush()
        try:
            child = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise ProcessError(f"cannot start {argv[0]}: {exc}") from exc
    _children[child.pid] = child
    write_pid(pid_path, child.pid)
    return child.pid


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the process group led by ``pid`` (we start every process as a session leader)."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def wait_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return True
        time.sleep(0.1)
    return not is_alive(pid)


def stop_pid(pid: int, *, name: str, timeout: float = 30.0) -> None:
    """SIGTERM, wait up to ``timeout`` seconds for a clean exit, then SIGKILL."""
    _signal_group(pid, signal.SIGTERM)
    if wait_exit(pid, timeout):
        return
    log.warning("%s (pid %d) did not exit %.0f s after SIGTERM; sending SIGKILL", name, pid, timeout)
    _signal_group(pid, signal.SIGKILL)
    if not wait_exit(pid, 10):
        raise ProcessError(f"{name} (pid {pid}) survived SIGKILL")


def kill_pid(pid: int) -> None:
    """SIGKILL at once (used by fault tests), and wait until it is gone."""
    _signal_group(pid, signal.SIGKILL)
    wait_exit(pid, 10)


def tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log file at {path})"
    return "\n".join(text.splitlines()[-lines:])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when ``url`` answers 200 within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


# --------------------------------------------------------------------------- application processes

#: A process without a readiness URL counts as started once it survives this long.
SETTLE_SECONDS = 1.5


def app_pid(settings: Settings, name: str) -> int | None:
    return read_pid(pid_file(settings, name))


def start_app(process: AppProcess, settings: Settings, *, ready_timeout: float = 60.0) -> int:
    """Start one application process (unless running) and wait until it is ready."""
    started = time.monotonic()
    pid = app_pid(settings, process.name)
    if pid is not None:
        log.info("%s already running (pid %d)", process.name, pid)
        return pid
    logfile = log_file(settings, process.name)
    pid = start_detached(
        process.argv,
        log_path=logfile,
        pid_path=pid_file(settings, process.name),
        env=child_env(settings, {**kafka_credentials_env(settings, process), **process.env}),
    )
    deadline = time.monotonic() + (ready_timeout if process.ready_url else SETTLE_SECONDS)
    while True:
        if not is_alive(pid):
            pid_file(settings, process.name).unlink(missing_ok=True)
            raise ProcessError(f"{process.name} exited during start-up; last lines of {logfile}:\n{tail(logfile)}")
        if process.ready_url and http_ok(process.ready_url):
            break
        if time.monotonic() >= deadline:
            if process.ready_url is None:
                break
            raise ProcessError(
                f"{process.name} (pid {pid}) not ready at {process.ready_url} after "
                f"{ready_timeout:.0f} s; see {logfile}:\n{tail(logfile)}"
            )
        time.sleep(0.2)
    log.info(
        "%s ready (pid %d%s) in %.1f s",
        process.name,
        pid,
        f", {process.ready_url}" if process.ready_url else "",
        time.monotonic() - started,
    )
    return pid


def stop_app(settings: Settings, name: str, *, timeout: float = 30.0) -> bool:
    """SIGTERM (then SIGKILL after ``timeout``); False when it was not running."""
    pid = app_pid(settings, name)
    if pid is None:
        return False
    stop_pid(pid, name=name, timeout=timeout)
    forget_pid_file(pid_file(settings, name), pid)
    log.info("%s stopped (pid %d)", name, pid)
    return True


def kill_app(settings: Settings, name: str) -> bool:
    """SIGKILL (fault tests); False when it was not running."""
    pid = app_pid(settings, name)
    if pid is None:
        return False
    kill_pid(pid)
    forget_pid_file(pid_file(settings, name), pid)
    log.info("%s killed (pid %d, SIGKILL)", name, pid)
    return True


def forget_pid_file(path: Path, pid: int) -> None:
    """Remove ``path`` if it still names ``pid``: a supervisor may already have restarted the process and
    written its new pid there."""
    recorded = _recorded(path)
    if recorded is not None and recorded[0] == pid:
        path.unlink(missing_ok=True)
