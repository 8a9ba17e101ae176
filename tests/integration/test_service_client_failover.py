"""The gateway's service client over real sockets: a call an instance took and never answered goes to the next
instance when it may (an Idempotency-Key), with a credential of its own — a service takes a credential once across
all its instances, so the same one sent again would be refused as a replay."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from services.gateway.service_client import ServiceClient, ServiceUnreachable


@pytest.fixture
async def dying_instance() -> AsyncIterator[tuple[str, list[bytes]]]:
    """An instance that reads a request and dies before it answers (the connection closes)."""
    received: list[bytes] = []

    async def take_and_die(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.close()

    server = await asyncio.start_server(take_and_die, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", received
    server.close()
    await server.wait_closed()


@pytest.fixture
async def live_instance() -> AsyncIterator[tuple[str, list[str]]]:
    authorizations: list[str] = []

    async def accept(request: web.Request) -> web.Response:
        authorizations.append(request.headers["Authorization"])
        return web.json_response({"id": "b-1"}, status=201)

    app = web.Application()
    app.router.add_post("/branches", accept)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", authorizations
    await runner.cleanup()


async def test_a_call_sent_again_carries_a_fresh_credential(
    dying_instance: tuple[str, list[bytes]], live_instance: tuple[str, list[str]]
) -> None:
    (dying, taken), (live, accepted) = dying_instance, live_instance
    client = ServiceClient(f"{dying},{live}")
    numbers = itertools.count(1)
    try:
        answer = await client.request("POST", "/branches", content=b"{}", headers={"Idempotency-Key": "k-1"},
                                      authorize=lambda: f"Bearer credential-{next(numbers)}")
    finally:
        await client.aclose()
    assert answer.status_code == 201
    assert b"Authorization: Bearer credential-1" in taken[0]
    assert accepted == ["Bearer credential-2"]


async def test_a_call_without_a_key_is_not_sent_again(dying_instance: tuple[str, list[bytes]],
                                                      live_instance: tuple[str, list[str]]) -> None:
    """The first instance may have applied it: without a key the gateway cannot tell, so the client hears it."""
    (dying, taken), (live, accepted) = dying_instance, live_instance
    client = ServiceClient(f"{dying},{live}")
    try:
        with pytest.raises(ServiceUnreachable):
            await client.request("POST", "/branches", content=b"{}", authorize=lambda: "Bearer credential")
    finally:
        await client.aclose()
    assert len(taken) == 1 and accepted == []
