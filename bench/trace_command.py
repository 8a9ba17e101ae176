"""Which project files one command really crosses, from its POST to the read model, measured at run time.

    .venv/bin/python -m bench.trace_command [--repo DIR] [--slot N]

Runs the real system of ``--repo`` (default: this checkout) on its own ports (test slot N, default 8)
with a profiler in every process (a ``sitecustomize`` on PYTHONPATH records the file of every Python
function called). It sets up a branch, a receiving branch and a member, then resets the records and
sends ONE ``POST /v1/members/{id}/transfers`` (RequestTransfer) and reads it back with
``GET /v1/transfers?min_position=…`` — the window covers the gateway, the membership service, its
relay and the projector, so every file whose code ran for the command is listed, per process.

Only the processes on the command's path are read (the other services' relays and policies poll
Kafka and PostgreSQL on their own and would add their files). The same tool run on an older
checkout (``--repo``) gives the "before" of a refactoring; docs/architecture.md quotes both.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parents[1]
ON_PATH = ("membership", "membership-relay", "projector", "gateway")

SITECUSTOMIZE = '''
import os, signal, sys, threading
_root = os.environ["GB_TRACE_ROOT"]
_out = os.environ["GB_TRACE_DIR"]
_seen = set()

def _profile(frame, event, arg):
    if event == "call":
        name = frame.f_code.co_filename
        if name.startswith(_root) and "/.venv/" not in name:
            _seen.add(name[len(_root):])

def _dump(signum, frame):
    with open(os.path.join(_out, f"{os.getpid()}.txt"), "w") as f:
        f.write(" ".join(sys.argv) + "\\n")
        f.write("\\n".join(sorted(_seen)) + "\\n")
    _seen.clear()

sys.setprofile(_profile)
threading.setprofile(_profile)
signal.signal(signal.SIGUSR1, _dump)
'''


def _env(repo: Path, slot: int, trace_dir: Path, hook_dir: Path) -> dict[str, str]:
    shift = slot * 10
    env = {k: v for k, v in os.environ.items() if not k.startswith("GB_")}
    env.update({
        "GB_DATA_DIR": str(repo / ".data" / f"trace-{slot}"), "GB_PG_PORT": str(55433 + shift),
        "GB_KAFKA_PORT": str(19092 + shift), "GB_KAFKA_CONTROLLER_PORT": str(19093 + shift),
        "GB_GATEWAY_PORT": str(18000 + shift), "GB_MEMBERSHIP_PORT": str(18101 + shift),
        "GB_SECONDMENT_PORT": str(18102 + shift), "GB_INVESTMENT_PORT": str(18103 + shift),
        "GB_PARTNERS_PORT": str(18104 + shift), "GB_AUDITLOG_PORT": str(18105 + shift),
        "GB_WORKERS_PORT": str(18106 + shift),
        "GB_TRACE_ROOT": str(repo) + "/", "GB_TRACE_DIR": str(trace_dir),
        "PYTHONPATH": f"{hook_dir}{os.pathsep}{repo}",
    })
    return env


def _pids(repo: Path, slot: int) -> dict[str, int]:
    run = repo / ".data" / f"trace-{slot}" / "pids"
    found = {}
    for name in ON_PATH:
        pid_file = run / f"{name}.pid"
        if pid_file.exists():
            found[name] = int(pid_file.read_text().split()[0])
    missing = set(ON_PATH) - set(found)
    if missing:
        raise SystemExit(f"no pid file for {', '.join(sorted(missing))} under {run}")
    return found


def _dump_all(pids: dict[str, int], trace_dir: Path) -> dict[str, list[str]]:
    for path in trace_dir.glob("*.txt"):
        path.unlink()
    for pid in pids.values():
        os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while len(list(trace_dir.glob("*.txt"))) < len(pids):
        if time.monotonic() > deadline:
            raise SystemExit("a traced process did not write its record")
        time.sleep(0.05)
    return {name: (trace_dir / f"{pid}.txt").read_text().splitlines()[1:] for name, pid in pids.items()}


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    if response.status_code != 201:
        raise SystemExit(f"POST {path} answered {response.status_code}: {response.text}")
    result: dict[str, Any] = response.json()
    return result


def trace(repo: Path, slot: int) -> dict[str, list[str]]:
    python = str(repo / ".venv" / "bin" / "python") if (repo / ".venv").exists() else sys.executable
    with tempfile.TemporaryDirectory() as hooks, tempfile.TemporaryDirectory() as out:
        Path(hooks, "sitecustomize.py").write_text(SITECUSTOMIZE)
        env = _env(repo, slot, Path(out), Path(hooks))
        subprocess.run([python, "-m", "infra.local", "down"], cwd=repo, env=env, capture_output=True)
        subprocess.run(["rm", "-rf", env["GB_DATA_DIR"]], check=True)
        subprocess.run([python, "-m", "infra.local", "up"], cwd=repo, env=env, check=True)
        try:
            base = f"http://127.0.0.1:{env['GB_GATEWAY_PORT']}"
            with httpx.Client(base_url=base, headers={"Authorization": "Bearer dev-admin-token"}, timeout=30) as c:
                branch = {"founding_basis": "locality", "build_mode": "standalone", "home_org_id": "township-a",
                          "host_guidance_org": "Longhua street Party committee", "destination": "Shenzhen",
                          "industry": "construction", "established_on": "2026-03-01"}
                home = _post(c, "/v1/branches", {"name": "Home branch", **branch})["id"]
                host = _post(c, "/v1/branches", {"name": "Host branch", **branch})["id"]
                member = _post(c, "/v1/members", {
                    "name": "Li Wei", "national_id": "440305198001010013", "formal_org_id": home, "status": "full",
                    "dues_category": "wage_earner", "contact": {"phone": "+86 138 0000 0000"}})
                c.get("/v1/transfers", params={"min_position": member["position"]})  # all set up and projected
                pids = _pids(repo, slot)
                _dump_all(pids, Path(out))  # forget everything before the command
                accepted = _post(c, f"/v1/members/{member['id']}/transfers", {"to_org_id": host, "reason": "moved"})
                seen = c.get("/v1/transfers", params={"org_id": host, "min_position": accepted["position"]})
                if seen.status_code != 200 or not seen.json()["items"]:
                    raise SystemExit(f"the transfer did not reach the read model: {seen.text}")
                return _dump_all(pids, Path(out))
        finally:
            subprocess.run([python, "-m", "infra.local", "down"], cwd=repo, env=env, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=HERE, help="checkout to run (default: this one)")
    parser.add_argument("--slot", type=int, default=8, help="test slot: shifts ports and the data folder")
    args = parser.parse_args()
    files = trace(args.repo.resolve(), args.slot)
    every: set[str] = set()
    for name in ON_PATH:
        every |= set(files[name])
        print(f"{name}: {len(files[name])} files")
        for path in files[name]:
            print(f"  {path}")
    print(f"\n{len(every)} distinct project files on the path of one RequestTransfer")
    print(f"{len([f for f in every if '/kernel/' not in f and '/pure/' not in f])} of them outside the kernel "
          "and the shared pure package")


if __name__ == "__main__":
    main()
