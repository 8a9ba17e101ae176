"""Second instances of a service beside the running system's, and commands sent straight to an instance.

Scale-out tests (issue 15) start another process of a service the way the runner starts it, on a free port,
and sign each command as the gateway signs it, so they can choose which instance gets which command.
"""

from __future__ import annotations

import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from infra import supervisor
from infra.processes import get_process
from services.kernel import credential
from services.kernel.settings import Settings
from services.pure.identity import Actor, Role
from tests.e2e.conftest import eventually

COUNTY = Actor(subject="county-admin-scale-out", role=Role.COUNTY_ADMIN)

Send = Callable[[str, str, dict[str, Any]], Any]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def second_instance(settings: Settings, service: str, log_path: Path) -> AsyncIterator[str]:
    """Another process of ``service``, started as the runner starts it but on a free port; its base URL."""
    process = get_process(service, settings)
    argv = list(process.argv)
    port = _free_port()
    argv[argv.index("--port") + 1] = str(port)
    env = supervisor.child_env(settings, {**supervisor.kafka_credentials_env(settings, process), **process.env})
    with log_path.open("w") as log:
        child = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=5.0) as client:
            async def ready() -> bool:
                if child.poll() is not None:
                    pytest.fail(f"the second {service} instance exited ({child.returncode}):\n{log_path.read_text()}")
                try:
                    return (await client.get(f"{base_url}/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, timeout=60, what=f"a second {service} instance answering")
        yield base_url
    finally:
        child.terminate()
        child.wait(timeout=30)


@asynccontextmanager
async def signed_sender(settings: Settings, service: str) -> AsyncIterator[Send]:
    """POST a command straight to an instance of ``service``, with the credential the gateway would sign."""
    async with httpx.AsyncClient(timeout=30.0) as client:
        async def send(base_url: str, path: str, body: dict[str, Any]) -> httpx.Response:
            content = orjson.dumps(body)
            token = credential.sign(settings.internal_secret, audience=service, actor=COUNTY, method="POST",
                                    request_target=path, body=content)
            return await client.post(f"{base_url}{path}", content=content, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json",
                "X-Correlation-Id": str(uuid.uuid4())})

        yield send
