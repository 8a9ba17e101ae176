"""Only one relay per service publishes; a standby takes over when the active one dies."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx

from infra import supervisor
from infra.processes import get_process
from services.kernel.settings import Settings
from tests.e2e.conftest import branch_body, eventually


async def test_a_standby_relay_waits_and_takes_over_when_the_active_relay_is_killed(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    log_path = tmp_path / "standby-relay.log"
    with log_path.open("w") as log:
        standby = subprocess.Popen(
            [sys.executable, "-m", "services.system", "relay", "--service", "membership"],
            env=supervisor.child_env(system), stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        await eventually(lambda: asyncio.sleep(0, result="standing by" in log_path.read_text()),
                         what="the second relay standing by")
        assert "active relay" not in log_path.read_text()

        supervisor.kill_app(system, "membership-relay")
        await eventually(lambda: asyncio.sleep(0, result="active relay" in log_path.read_text()),
                         what="the standby taking over")
        accepted = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()
        seen = await gateway.get(f"/v1/branches/{accepted['id']}", params={"min_position": accepted["position"]},
                                 headers=admin_headers)
        assert seen.status_code == 200, seen.text
    finally:
        standby.terminate()
        standby.wait(timeout=30)
        supervisor.start_app(get_process("membership-relay", system), system)
