"""Outside development the webhook deliverer sends nothing to a sink whose host is, or resolves to, loopback or a
private network, and sends to the address it checked (services/partners/sink_address.py) — tried with real sockets,
the machine's resolver and a receiver on 127.0.0.1 that counts what reaches it."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from services.partners import sink_address
from services.partners.domain.sinks import public
from services.partners.signing import Backoff, delivery_of
from services.partners.sink_address import SinkRefused
from services.partners.webhook_delivery import Options, SubscriptionDelivery


class Receiver:
    """An HTTP sink on 127.0.0.1 that answers 204 and keeps each request's head."""

    def __init__(self) -> None:
        self.heads: list[bytes] = []
        self.port = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        self.heads.append(head)
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    sink = Receiver()
    server = await asyncio.start_server(sink._serve, "127.0.0.1", 0)
    sink.port = server.sockets[0].getsockname()[1]
    async with server:
        yield sink


def _delivery(ctx: Any) -> SubscriptionDelivery:
    return SubscriptionDelivery(ctx, "sub-ssrf")


def _context(http: httpx.AsyncClient, environment: str) -> Any:
    options = Options(backoff=Backoff(base=0.1, cap=0.1), timeout=5.0, max_failures=3)
    return SimpleNamespace(settings=SimpleNamespace(environment=environment), options=options, http=http)


def _cloud_event() -> Any:
    body = (b'{"specversion":"1.0","id":"e-1","source":"/golden-bridge/membership","type":"gb.membership.x.v1",'
            b'"time":"2026-12-02T00:00:00Z","subject":"m-1","datacontenttype":"application/json","data":{}}')
    return delivery_of(body, position=0)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1", "2130706433", "0x7f000001", "localhost", "[::ffff:127.0.0.1]"])
async def test_outside_development_nothing_is_sent_to_this_machine(receiver: Receiver, host: str) -> None:
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as http:
        answer = await _delivery(_context(http, "production"))._post(f"http://{host}:{receiver.port}/hook",
                                                                    _cloud_event())
    assert answer.status is None and answer.error is not None and answer.error.startswith("refused")
    assert receiver.heads == []


async def test_in_development_the_same_sink_is_delivered_to(receiver: Receiver) -> None:
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as http:
        answer = await _delivery(_context(http, "development"))._post(f"http://127.1:{receiver.port}/hook",
                                                                     _cloud_event())
    assert answer.status == 204 and answer.error is None
    assert len(receiver.heads) == 1


async def test_a_name_is_judged_by_the_addresses_it_resolves_to() -> None:
    # This machine's own name, through the machine's resolver (/etc/hosts): whatever it resolves to decides.
    name = socket.gethostname()
    found = {ipaddress.ip_address(str(a[4][0]).split("%", 1)[0])
             for a in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)}
    if all(public(a) for a in found):
        to = await sink_address.target(f"http://{name}/hook", allow_private=False)
        assert ipaddress.ip_address(to.url.host) in found and to.headers == {"host": name}
    else:
        with pytest.raises(SinkRefused, match=f"{name} resolves to .*not a public address"):
            await sink_address.target(f"http://{name}/hook", allow_private=False)


async def test_a_name_that_does_not_resolve_is_refused_without_a_connection() -> None:
    with pytest.raises(SinkRefused, match="does not resolve"):
        await sink_address.target("http://no-such-host.invalid/hook", allow_private=False)


async def test_the_post_goes_to_the_checked_address_with_the_sinks_host_name(receiver: Receiver) -> None:
    # As if partner.example had resolved to 127.0.0.1 when checked: the connection goes to that address, and the
    # request still names partner.example — a second lookup (DNS rebinding) never happens.
    to = sink_address.pinned(httpx.URL(f"http://partner.example:{receiver.port}/hook?x=1"),
                             ipaddress.IPv4Address("127.0.0.1"))
    async with httpx.AsyncClient(trust_env=False) as http:
        response = await http.post(to.url, content=b"{}", headers=to.headers, extensions=to.extensions)
    assert response.status_code == 204
    [head] = receiver.heads
    assert head.startswith(b"POST /hook?x=1 HTTP/1.1\r\n")
    assert f"host: partner.example:{receiver.port}\r\n".encode() in head.lower()


def test_https_keeps_the_host_name_for_the_certificate() -> None:
    to = sink_address.pinned(httpx.URL("https://hooks.partner.example/in"), ipaddress.IPv6Address("2001:db8::5"))
    assert str(to.url) == "https://[2001:db8::5]/in"
    assert to.headers == {"host": "hooks.partner.example"}
    assert to.extensions == {"sni_hostname": "hooks.partner.example"}
    # An internationalised name goes out in its IDNA form, as DNS and TLS carry it.
    to = sink_address.pinned(httpx.URL("https://例子.example:8443/in"), ipaddress.IPv4Address("8.8.8.8"))
    assert str(to.url) == "https://8.8.8.8:8443/in"
    assert to.headers == {"host": "xn--fsqu00a.example:8443"}
    assert to.extensions == {"sni_hostname": "xn--fsqu00a.example"}


async def test_a_public_address_written_out_is_sent_to_as_it_is() -> None:
    to = await sink_address.target("http://[2001:4860:4860::8888]:8080/hook", allow_private=False)
    assert str(to.url) == "http://[2001:4860:4860::8888]:8080/hook" and to.headers == {} and to.extensions == {}
