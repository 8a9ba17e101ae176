"""The supervisor (infra/daemon.py) on real child processes, without PostgreSQL or Kafka: a crashed process comes
back after its backoff, the backoff doubles while it keeps crashing and starts over once it stayed up, a held
process stays down, and the published table says all of it."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from infra import daemon, supervisor
from infra.daemon import Supervised, Supervisor
from infra.processes import AppProcess
from infra.reaping import exit_description
from services.kernel import supervision
from services.kernel.settings import Settings
from services.kernel.supervision import ProcessRow, Table

SLEEPER = AppProcess(name="sleeper", argv=(sys.executable, "-c", "import time; time.sleep(300)"))
OTHER = AppProcess(name="other", argv=(sys.executable, "-c", "import time; time.sleep(300)"))


def until(daemon_: Supervisor, condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Let the supervisor look at its processes until ``condition`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        daemon_.tick()
        time.sleep(daemon.TICK)  # the supervisor's own polling period


@pytest.fixture(autouse=True)
def quick_settling(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process without a readiness URL counts as started after 0.2 s here, not 1.5 s: the tests stay quick."""
    monkeypatch.setattr(supervisor, "SETTLE_SECONDS", 0.2)


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[Supervisor]:
    """A supervisor of two sleeping processes only (its PostgreSQL and Kafka rows are left out)."""
    s = Settings(data_dir=tmp_path)
    sup = Supervisor(s)
    sup.runs = [Supervised(p.name, "app", process=p) for p in (SLEEPER, OTHER)]
    sup.phase = "running"
    try:
        yield sup
    finally:
        sup.shut_down()


def run_of(sup: Supervisor, name: str) -> Supervised:
    return next(r for r in sup.runs if r.name == name)


def running(sup: Supervisor, name: str) -> Callable[[], bool]:
    return lambda: run_of(sup, name).state == "running"


def test_a_killed_process_is_restarted_after_its_backoff_and_the_table_says_how_it_ended(
    supervised: Supervisor,
) -> None:
    until(supervised, running(supervised, "sleeper"), "the first start")
    first = run_of(supervised, "sleeper").pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    until(supervised, lambda: run_of(supervised, "sleeper").state == "backoff", "noticing the crash")
    row = run_of(supervised, "sleeper")
    assert row.last_exit == "signal SIGKILL" and row.next_start_at is not None
    assert row.next_start_at - (row.last_exit_at or 0) == pytest.approx(daemon.BACKOFF_FIRST, abs=0.05)
    table = supervision.read_table(supervised.settings)
    assert table is not None and list(table.down()) == ["sleeper"]
    assert table.down()["sleeper"].startswith("backoff after signal SIGKILL")
    until(supervised, running(supervised, "sleeper"), "the restart")
    row = run_of(supervised, "sleeper")
    assert row.pid not in (None, first) and row.restarts == 1
    assert run_of(supervised, "other").restarts == 0, "only the crashed process restarts"
    assert supervisor.read_pid(supervisor.pid_file(supervised.settings, "sleeper")) == row.pid
    table = supervision.read_table(supervised.settings)
    assert table is not None and table.down() == {}


def test_the_backoff_doubles_while_a_process_keeps_crashing_and_starts_over_once_it_stayed_up(
    supervised: Supervisor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    until(supervised, running(supervised, "sleeper"), "the first start")
    waits = []
    for _ in range(3):
        os.kill(run_of(supervised, "sleeper").pid or 0, signal.SIGKILL)
        until(supervised, lambda: run_of(supervised, "sleeper").state == "backoff", "noticing the crash")
        row = run_of(supervised, "sleeper")
        waits.append(round((row.next_start_at or 0) - (row.last_exit_at or 0), 1))
        until(supervised, running(supervised, "sleeper"), "the restart")
    assert waits == [0.5, 1.0, 2.0]
    monkeypatch.setattr(daemon, "STABLE_AFTER", 0.0)  # every run now counts as having stayed up
    os.kill(run_of(supervised, "sleeper").pid or 0, signal.SIGKILL)
    until(supervised, lambda: run_of(supervised, "sleeper").state == "backoff", "noticing the crash")
    row = run_of(supervised, "sleeper")
    assert round((row.next_start_at or 0) - (row.last_exit_at or 0), 1) == daemon.BACKOFF_FIRST
    assert row.restarts == 3


def test_a_held_process_stays_down_until_the_hold_is_released(supervised: Supervisor) -> None:
    until(supervised, running(supervised, "sleeper"), "the first start")
    hold = supervision.hold_path(supervised.settings, "sleeper")
    hold.parent.mkdir(parents=True)
    hold.touch()
    supervisor.stop_app(supervised.settings, "sleeper", timeout=5)
    until(supervised, lambda: run_of(supervised, "sleeper").state == "held", "the hold")
    for _ in range(10):  # a few looks: it stays held
        supervised.tick()
    assert run_of(supervised, "sleeper").state == "held" and run_of(supervised, "sleeper").restarts == 0
    table = supervision.read_table(supervised.settings)
    assert table is not None and table.down() == {"sleeper": "held after signal SIGTERM"}
    hold.unlink()
    until(supervised, running(supervised, "sleeper"), "the start after the hold")


def test_a_process_that_exits_by_itself_is_reported_with_its_exit_code(tmp_path: Path) -> None:
    sup = Supervisor(Settings(data_dir=tmp_path))
    quitter = AppProcess(name="quitter", argv=(sys.executable, "-c", "import sys; sys.exit(3)"))
    sup.runs = [Supervised("quitter", "app", process=quitter)]
    try:
        until(sup, lambda: sup.runs[0].last_exit is not None, "the exit")
        assert sup.runs[0].last_exit == "exit 3" and sup.runs[0].state == "backoff"
    finally:
        sup.shut_down()


def test_exit_descriptions_name_the_signal() -> None:
    assert exit_description(-9) == "signal SIGKILL"
    assert exit_description(-15) == "signal SIGTERM"
    assert exit_description(0) == "exit 0" and exit_description(2) == "exit 2"


def test_a_table_is_trusted_only_while_the_supervisor_keeps_writing_it(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    now = time.time()
    rows = (
        ProcessRow(name="gateway", state="running", pid=1),
        ProcessRow(name="projector", state="backoff", last_exit="signal SIGKILL"),
    )
    supervision.write_table(s, Table(supervisor_pid=7, phase="running", updated_at=now, processes=rows))
    table = supervision.read_table(s)
    assert table is not None and table.processes == rows and table.is_fresh(now + 1)
    assert not table.is_fresh(now + supervision.STALE_AFTER_SECONDS + 1)
    assert table.down() == {"projector": "backoff after signal SIGKILL"}
    supervision.remove_table(s)
    assert supervision.read_table(s) is None


# A pid file (infra/supervisor.py read_pid): whose process it names, whatever the wall clock did since.

def test_a_pid_file_still_names_its_process_after_the_wall_clock_was_stepped(tmp_path: Path) -> None:
    path = tmp_path / "me.pid"
    supervisor.write_pid(path, os.getpid())
    assert supervisor.read_pid(path) == os.getpid()
    # What a clock stepped by an hour looks like from here: the file written an hour from when the process began.
    hour_later = time.time() + 3600
    os.utime(path, (hour_later, hour_later))
    assert supervisor.read_pid(path) == os.getpid()


def test_a_pid_file_naming_a_recycled_pid_is_stale_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "other.pid"
    ticks = supervisor.start_ticks(os.getpid())
    assert ticks is not None
    path.write_text(f"{os.getpid()} {ticks + 1}\n")  # this pid, but a process that started at another moment
    assert supervisor.read_pid(path) is None
    assert not path.exists()


def test_a_pid_file_holding_the_pid_alone_is_judged_by_when_it_was_written(tmp_path: Path) -> None:
    path = tmp_path / "old.pid"
    path.write_text(f"{os.getpid()}\n")
    started = supervisor.started_at(os.getpid())
    assert started is not None
    os.utime(path, (started + 1, started + 1))
    assert supervisor.read_pid(path) == os.getpid()
    os.utime(path, (started + 600, started + 600))
    assert supervisor.read_pid(path) is None


def test_forgetting_a_pid_file_removes_it_only_while_it_names_that_pid(tmp_path: Path) -> None:
    path = tmp_path / "restarted.pid"
    supervisor.write_pid(path, os.getpid())
    supervisor.forget_pid_file(path, os.getpid() + 1)  # a restart already wrote its own pid there
    assert supervisor.read_pid(path) == os.getpid()
    supervisor.forget_pid_file(path, os.getpid())
    assert not path.exists()
