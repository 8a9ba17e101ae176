"""Forwarding commands to the owning service with the caller's identity and retry key."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import Response

from services.pure.errors import Unavailable
from services.pure.identity import Actor

_FORWARDED = ("idempotency-key", "x-correlation-id", "content-type")


async def forward(client: httpx.AsyncClient, request: Request, actor: Actor, path: str) -> httpx.Response:
    headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED}
    headers.update(actor.headers())
    try:
        return await client.post(path, content=await request.body(), headers=headers)
    except httpx.TransportError as exc:
        raise Unavailable(f"the owning service did not answer ({exc.__class__.__name__}); retry with the same "
                          "Idempotency-Key — a retry never applies a command twice") from None


def relay_response(upstream: httpx.Response, location: str | None = None) -> Response:
    """Pass the service's answer through unchanged (problem+json included)."""
    headers: dict[str, Any] = {}
    if location and upstream.status_code == 201:
        headers["Location"] = location
    return Response(upstream.content, status_code=upstream.status_code, headers=headers,
                    media_type=upstream.headers.get("content-type", "application/json"))
