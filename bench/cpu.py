"""Where the CPU of a load goes: each process's CPU seconds (user + system, from /proc) before and after it, per
process of the system, PostgreSQL (the postmaster and every backend), Kafka and this benchmark's own client.

A command costs more than its request: the relay publishes it, Kafka stores it, the projector, the audit log's
sequencer, the partner router and the funds-credit policy read it. Per command, in milliseconds of CPU, this says
which part of the system spends what (issue 14: why the command path is or is not within 2× of the bare stack).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from infra import kafka, postgres, supervisor
from infra.processes import app_processes
from services.kernel.settings import Settings

_TICKS = os.sysconf("SC_CLK_TCK")


def _fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after "pid (comm) " (state is [0]); None once the process is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process; None once it is gone."""
    fields = _fields(pid)
    return None if fields is None else (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS)


def _reaped(pid: int) -> float:
    """CPU seconds of the children ``pid`` has waited for (a postmaster's ended backends)."""
    fields = _fields(pid)
    return 0.0 if fields is None else (int(fields[13]) + int(fields[14])) / _TICKS


def _children(parent: int) -> Iterable[int]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found and found[0] == parent:
                yield int(entry.name)


def _pss_mib(pid: int) -> float:
    """Proportional set size: shared pages split among the processes sharing them, so parts add up."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def memory(settings: Settings) -> dict[str, Any]:
    """Memory (PSS, MiB) of every part of the system now: each app process, PostgreSQL (postmaster and every
    backend) and Kafka, with the total."""
    parts: dict[str, float] = {}
    for process in app_processes(settings):
        pid = supervisor.app_pid(settings, process.name)
        if pid is not None:
            parts[process.name] = _pss_mib(pid)
    postmaster = postgres.postmaster_pid(settings)
    if postmaster is not None:
        parts["postgres"] = _pss_mib(postmaster) + sum(_pss_mib(p) for p in _children(postmaster))
    broker = kafka.running_pid(settings)
    if broker is not None:
        parts["kafka"] = _pss_mib(broker)
    rounded = {name: round(mib, 1) for name, mib in sorted(parts.items(), key=lambda kv: -kv[1])}
    return {"mib": rounded, "total_mib": round(sum(parts.values()), 1)}


def snapshot(settings: Settings, extra: dict[str, int] | None = None) -> dict[str, float]:
    """CPU seconds so far of every part: app processes by name, "postgres", "kafka", "client" (this process)."""
    seen: dict[str, float] = {}
    for process in app_processes(settings):
        pid = supervisor.app_pid(settings, process.name)
        if pid is not None and (found := _stat(pid)):
            seen[process.name] = found[1]
    postmaster = postgres.postmaster_pid(settings)
    if postmaster is not None and (found := _stat(postmaster)):
        # Backends that ended since the last snapshot (a rebuild's connections) count too: the postmaster reaps them.
        seen["postgres"] = (found[1] + _reaped(postmaster)
                            + sum(s[1] for p in _children(postmaster) if (s := _stat(p))))
    broker = kafka.running_pid(settings)
    if broker is not None and (found := _stat(broker)):
        seen["kafka"] = found[1]
    times = os.times()
    seen["client"] = times.user + times.system
    # Subprocesses this process started and has waited for (a rebuild's projector): their CPU, once they are done.
    seen["subprocesses"] = times.children_user + times.children_system
    for name, pid in (extra or {}).items():
        if (found := _stat(pid)):
            seen[name] = found[1]
    return seen


def _deltas(before: dict[str, float], after: dict[str, float]) -> list[tuple[str, float]]:
    """CPU seconds each part spent between two snapshots, largest first."""
    return sorted(((name, after[name] - before.get(name, 0.0)) for name in after), key=lambda kv: -kv[1])


def spent(before: dict[str, float], after: dict[str, float], *, at_least: float = 0.05) -> dict[str, float]:
    """CPU seconds each part spent between two snapshots, largest first (parts under ``at_least`` left out)."""
    return {name: round(s, 2) for name, s in _deltas(before, after) if round(s, 2) >= at_least}


def per_unit(before: dict[str, float], after: dict[str, float], units: int) -> dict[str, Any]:
    """Milliseconds of CPU per unit (command) of each part, largest first, with the total."""
    per = {name: round(1000 * s / units, 2) for name, s in _deltas(before, after) if s > 0}
    return {"ms_per_unit": per, "total_ms_per_unit": round(sum(per.values()), 2), "units": units}


async def settled(settings: Settings, *, below: float = 0.5, window: float = 2.0, timeout: float = 300.0) -> float:
    """Wait until the system's processes (apps, PostgreSQL, Kafka; not this client) together use less than ``below``
    of one CPU over ``window`` seconds — the consumers downstream (audit log, partner router) done with a load just
    appended — so a figure taken next has the machine to itself. The system idle uses 0.15-0.25 of a CPU here (Kafka's
    long polls, the partner router's follower), one consumer catching up a whole one. Returns the seconds waited."""
    started = time.monotonic()
    while True:
        before = snapshot(settings)
        await asyncio.sleep(window)
        after = snapshot(settings)
        busy = sum(max(after[n] - before.get(n, 0.0), 0.0) for n in after if n != "client") / window
        waited = time.monotonic() - started
        if busy < below or waited > timeout:
            return waited

