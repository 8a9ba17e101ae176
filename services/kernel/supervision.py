"""The process table the local supervisor publishes: written by infra/daemon.py, read by /readyz and status.

The supervisor (one detached process per data folder, started by ``python -m infra.local up``) owns every
process of the system: it restarts whichever dies and rewrites this table whenever something changes and at
least every HEARTBEAT_SECONDS. A reader trusts the table only while it is fresh: a table older than
STALE_AFTER_SECONDS means the supervisor itself is gone, and then nothing restarts a crashed process — which
readiness must say rather than repeat the last thing the dead supervisor believed.

Without a table (docker compose, the test harness that starts processes itself) nothing here is known, and
readers say so instead of guessing. The demo loader's state lives beside the table (demo_path): ``./gb run``
marks it loading, then loaded or failed, so that readiness can tell people when the demo data is there.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

from services.kernel.files import write_private
from services.kernel.settings import Settings

#: The supervisor rewrites the table at least this often.
HEARTBEAT_SECONDS = 1.0
#: A table older than this was left by a supervisor that is no longer running.
STALE_AFTER_SECONDS = 10.0

#: What the supervisor is doing: bringing the system up, keeping it up, given up on a start, shutting down.
Phase = Literal["starting", "running", "failed", "stopping"]
#: One process: running (and ready); starting (not ready yet); waiting to be restarted after a crash (backoff);
#: held down on purpose (``python -m infra.local stop NAME``); stopped (not started yet, or shut down).
State = Literal["running", "starting", "backoff", "held", "stopped"]
DemoState = Literal["loading", "loaded", "failed"]


@dataclass(frozen=True, kw_only=True)
class ProcessRow:
    name: str
    state: State
    pid: int | None = None
    #: Restarts after a crash since the supervisor started.
    restarts: int = 0
    #: How the last run ended: "exit 1", "signal SIGKILL", or "gone (…)" when the exit status is unknown.
    last_exit: str | None = None
    #: Unix time of the last exit and of the current state's beginning.
    last_exit_at: float | None = None
    since: float | None = None
    #: While in backoff: when the next start is due (Unix time).
    next_start_at: float | None = None


@dataclass(frozen=True, kw_only=True)
class Table:
    supervisor_pid: int
    phase: Phase
    updated_at: float
    processes: tuple[ProcessRow, ...] = ()
    #: Why the start failed (phase "failed").
    error: str | None = None
    started_at: float = field(default_factory=time.time)

    def is_fresh(self, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) - self.updated_at <= STALE_AFTER_SECONDS

    def down(self) -> dict[str, str]:
        """Each process that is not running, and why: what readiness reports."""
        return {row.name: describe(row) for row in self.processes if row.state != "running"}


def describe(row: ProcessRow) -> str:
    if row.state == "running":
        return "running"
    why = f"{row.state}"
    if row.last_exit:
        why += f" after {row.last_exit}"
    if row.state == "backoff" and row.next_start_at is not None:
        why += f", restarting in {max(0.0, row.next_start_at - time.time()):.1f} s"
    return why


def folder(settings: Settings) -> Path:
    return settings.data_dir / "supervisor"


def table_path(settings: Settings) -> Path:
    return folder(settings) / "status.json"


def demo_path(settings: Settings) -> Path:
    return folder(settings) / "demo"


def hold_path(settings: Settings, name: str) -> Path:
    """A file whose presence tells the supervisor to leave ``name`` down."""
    return folder(settings) / "hold" / name


def write_table(settings: Settings, table: Table) -> None:
    body: dict[str, Any] = {
        "supervisor_pid": table.supervisor_pid,
        "phase": table.phase,
        "updated_at": table.updated_at,
        "started_at": table.started_at,
        "error": table.error,
        "processes": [row.__dict__ for row in table.processes],
    }
    write_private(table_path(settings), orjson.dumps(body))


def read_table(settings: Settings) -> Table | None:
    """The supervisor's last table, or None when there is none (or it cannot be read)."""
    try:
        body = orjson.loads(table_path(settings).read_bytes())
        rows = tuple(ProcessRow(**row) for row in body["processes"])
        return Table(
            supervisor_pid=body["supervisor_pid"],
            phase=body["phase"],
            updated_at=body["updated_at"],
            started_at=body["started_at"],
            error=body["error"],
            processes=rows,
        )
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
        return None


def remove_table(settings: Settings) -> None:
    with contextlib.suppress(FileNotFoundError):
        table_path(settings).unlink()


def write_demo_state(settings: Settings, state: DemoState) -> None:
    write_private(demo_path(settings), state.encode())


def read_demo_state(settings: Settings) -> str | None:
    try:
        return demo_path(settings).read_text().strip() or None
    except OSError:
        return None
