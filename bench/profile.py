"""Where a command's time goes (issue 14): py-spy flame graphs of the gateway and the membership service (and its
relay and the projector) while the 3a load runs, written as SVG to bench/results/flame-<process>.svg."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import say
from bench.system import _client, post_load
from infra import supervisor
from services.kernel.settings import Settings

PROCESSES = ("gateway", "membership", "membership-relay", "projector")
RATE = 100  # samples per second: enough for a 10 s window, little enough not to slow the process measured


def _py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise RuntimeError("py-spy is not installed (bench/requirements.txt; ./gb bench installs it)")
    return found


async def flame_graphs(settings: Settings, clients: int, seconds: float, results_dir: Path,
                       fmt: str = "flamegraph") -> dict[str, Any]:
    """Record every process of PROCESSES with py-spy for ``seconds`` while ``clients`` clients send commands
    (``fmt`` "raw": collapsed stacks, one line per stack with its sample count, to read or diff as text)."""
    py_spy = _py_spy()
    results_dir.mkdir(parents=True, exist_ok=True)
    recorders: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    for name in PROCESSES:
        pid = supervisor.app_pid(settings, name)
        if pid is None:
            raise RuntimeError(f"{name} is not running")
        out = results_dir / f"flame-{name}.{'svg' if fmt == 'flamegraph' else 'txt'}"
        argv = [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds) + 2), "--rate", str(RATE),
                "--nonblocking", "--format", fmt, "--output", str(out)]
        recorders[name] = (subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.PIPE), out)
    load = await post_load(lambda: _client(settings), clients, seconds)
    files: dict[str, str] = {}
    for name, (recorder, out) in recorders.items():
        _, err = await asyncio.to_thread(recorder.communicate)
        if recorder.returncode != 0 or not out.exists():
            raise RuntimeError(f"py-spy on {name} failed ({recorder.returncode}): {err.decode()[-400:]}")
        files[name] = out.name
    rate = load["commands_per_s"]
    say(f"flame graphs in {results_dir}: {', '.join(files.values())} (load meanwhile: {rate:,.0f} commands/s)")
    return {"files": files, "rate_hz": RATE, "seconds": seconds, "commands_per_s_while_profiled": rate}


def note(result: dict[str, Any]) -> str:
    return (f"Profile: py-spy {RATE} Hz, --nonblocking, for {result['seconds']:g} s of the commands load on each of "
            f"{', '.join(result['files'])}; flame graphs {', '.join(result['files'].values())} (the load ran at "
            f"{result['commands_per_s_while_profiled']:,.0f} commands/s while sampled).")
