"""How the supervisor (infra/daemon.py) learns that a process ended, and how: exit code or signal.

The supervisor is single-threaded and reaps only the pids it knows — never ``waitpid(-1)`` — so that it never
takes the exit status of a short-lived command (pg_ctl, kafka-configs) from the library that ran it. As a child
subreaper it inherits the orphans its commands leave (pg_ctl's postmaster), which it then reaps like its own.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
from pathlib import Path

from infra import supervisor

log = logging.getLogger("infra")

PR_SET_CHILD_SUBREAPER = 36


def exit_description(returncode: int) -> str:
    """'exit 3' or 'signal SIGKILL', from a Popen returncode or os.waitstatus_to_exitcode's value."""
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit {returncode}"


def exited(pid: int, child: subprocess.Popen[bytes] | None) -> str | None:
    """None while ``pid`` lives; else how it ended (reaping it when it is our child)."""
    if child is not None:
        code = child.poll()
        if code is None:
            return None
        supervisor.forget(pid)
        return exit_description(code)
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not ours: only whether it still lives is known
        return None if supervisor.is_alive(pid) else "gone (not the supervisor's child: exit status unknown)"
    if done == 0:
        return None
    return exit_description(os.waitstatus_to_exitcode(status))


def become_subreaper() -> None:
    """Orphaned descendants (the postmaster pg_ctl leaves) become our children, so we learn how they end."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            log.warning(
                "prctl(PR_SET_CHILD_SUBREAPER) failed (errno %d): PostgreSQL's exit status will be unknown",
                ctypes.get_errno(),
            )
    except (OSError, AttributeError) as exc:
        log.warning("no prctl (%s): PostgreSQL's exit status will be unknown", exc)


def sweep_orphans(known: set[int]) -> None:
    """Reap zombie children we do not track (orphans that were reparented to us)."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in known:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == "Z" and int(fields[1]) == me:
            try:
                os.waitpid(int(entry.name), os.WNOHANG)
            except ChildProcessError:
                pass
