"""/readyz judges the supervised processes by the supervisor's table: every one must run, the table must be fresh."""

from __future__ import annotations

import time
from pathlib import Path

from services.gateway.api.health import supervised_processes
from services.kernel import supervision
from services.kernel.settings import Settings
from services.kernel.supervision import ProcessRow, Table

RELAY_DOWN = (
    ProcessRow(name="membership", state="running", pid=10),
    ProcessRow(name="membership-relay", state="backoff", last_exit="signal SIGKILL"),
)


def _table(
    s: Settings, *, rows: tuple[ProcessRow, ...], age: float = 0.0, phase: supervision.Phase = "running"
) -> None:
    supervision.write_table(s, Table(supervisor_pid=1, phase=phase, updated_at=time.time() - age, processes=rows))


def test_without_a_table_nothing_is_claimed_and_readiness_does_not_depend_on_it(tmp_path: Path) -> None:
    answer, ok = supervised_processes(Settings(data_dir=tmp_path))
    assert ok and isinstance(answer, str) and "not supervised" in answer


def test_a_dead_relay_makes_the_system_not_ready(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    _table(s, rows=RELAY_DOWN)
    answer, ok = supervised_processes(s)
    assert not ok
    assert isinstance(answer, dict) and answer["membership"] == "running"
    assert answer["membership-relay"].startswith("backoff after signal SIGKILL")


def test_every_process_running_is_ready(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    _table(s, rows=(RELAY_DOWN[0],))
    assert supervised_processes(s) == ({"membership": "running"}, True)


def test_a_stale_table_or_a_supervisor_not_running_is_not_ready(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    _table(s, rows=(RELAY_DOWN[0],), age=supervision.STALE_AFTER_SECONDS + 5)
    answer, ok = supervised_processes(s)
    assert not ok and "stopped publishing" in str(answer)
    _table(s, rows=(RELAY_DOWN[0],), phase="starting")
    assert supervised_processes(s) == ("the supervisor is starting", False)
