"""The demo's HTTP client: posts commands to the public gateway, like any other client of the API.

Idempotency keys are derived from the demo's own names (``demo-<key>``), so loading twice writes
nothing new: the gateway answers a replayed key with the first answer.
"""

from __future__ import annotations

from typing import Any

import httpx


def gateway_client(base_url: str, token: str) -> httpx.AsyncClient:
    """An HTTP client for the gateway at ``base_url`` that sends ``token`` as its bearer token."""
    return httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


class DemoClient:
    """Posts demo commands with the client's token (or another one) and keys derived from the demo's names.

    ``written`` counts the commands that wrote something (a replayed key writes nothing) and
    ``position`` is the highest position answered, to pass as ``min_position`` when reading; a
    lookup (``record=False``: replaying a membership record for its id) counts in neither."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.written = 0
        self.position = 0

    async def post(
        self, path: str, key: str, body: dict[str, Any], *, record: bool = True, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": f"demo-{key}"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        r = await self.client.post(path, json=body, headers=headers)
        if r.status_code not in (200, 201):
            raise RuntimeError(f"{path} answered {r.status_code}: {r.text}")
        answer = dict(r.json())
        if record:
            self.written += not answer.get("replayed", False)
            self.position = max(self.position, int(answer.get("position", 0)))
        return answer

    async def post_id(self, path: str, key: str, body: dict[str, Any], *, record: bool = True) -> str:
        return str((await self.post(path, key, body, record=record))["id"])
