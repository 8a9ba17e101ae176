"""A webhook sink's address, checked at the moment of delivery and then kept for the POST.

The rule is services/partners/domain/sinks.py's (``public``, the same function the check at creation applies): a
partner's sink must be a public address. A URL checked when the subscription was created can still name a host that
resolves to loopback or a private network — at once, or later (DNS rebinding: a name that answers a public address
to the check and a private one to the connection). So before each delivery the host is resolved here, every address
it resolves to must be public, and the POST is sent to the first of them, with the URL's host kept in ``Host`` and,
for https, in the TLS server name (the certificate is still checked against the host name).
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from services.kernel.settings import Settings
from services.partners.domain.sinks import Address, address_of, check_webhook_url, public, public_host
from services.pure.errors import DomainError

#: Longer URLs are refused at creation (a sink is stored with the subscription and shown in its deliveries).
MAX_SINK_LENGTH = 2000
#: A host name as DNS writes it (an internationalised one in its IDNA form, as httpx gives it).
_DNS_NAME = re.compile(r"[a-z0-9_.-]+", re.I)


def private_allowed(settings: Settings) -> bool:
    """Sinks on loopback and private networks: in development (its receivers run on this machine), never outside
    it — a sink must not turn the deliverer against the county's own network."""
    return settings.environment == "development"


def url_host(sink: str) -> str:
    """The host of ``sink`` as the deliverer reads it — httpx's parser, the one ``target`` and the POST use, so the
    check at creation and the delivery never read two hosts from one URL — in its IDNA (``xn--``) form; or the
    DomainError that says what to fix: not an http(s) URL httpx can send to, credentials in it, no host."""
    if len(sink) > MAX_SINK_LENGTH:
        raise DomainError(f"sink: an http(s) URL of at most {MAX_SINK_LENGTH} characters")
    try:
        url = httpx.URL(sink)
    except httpx.InvalidURL as exc:
        raise DomainError(f"sink: not a URL a webhook can be sent to ({exc})") from None
    if url.scheme not in ("http", "https") or not url.raw_host:
        raise DomainError("sink: an http(s) URL with a host, e.g. https://partner.example.cn/golden-bridge/events")
    if url.userinfo:
        raise DomainError("sink: no credentials in the URL; webhooks are signed (webhook-signature)")
    if url.port is not None and not 0 < url.port <= 65535:  # httpx reads any number as a port
        raise DomainError("sink: the port must be a number from 1 to 65535")
    host = url.raw_host.decode("ascii")
    if not (_DNS_NAME.fullmatch(host) or address_of(host) is not None):
        raise DomainError("sink: a host is a name (letters, digits, '-', '.') or an IP address")
    return host


def check_sink(sink: str, *, allow_private: bool) -> str:
    """The creation check (services/partners/domain/sinks.py) with the deliverer's reading of the host."""
    return check_webhook_url(sink, read_host=url_host, allow_private=allow_private)


class SinkRefused(Exception):
    """The sink's host cannot be delivered to; the message is what the partner reads in its deliveries."""


@dataclass(frozen=True)
class Target:
    """Where one delivery's POST goes: the URL to connect to, and what keeps the host name on it."""

    url: httpx.URL
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)


#: Resolves a host name and port to its addresses (SinkRefused if it cannot): the machine's resolver, or a fake.
Resolver = Callable[[str, int], Awaitable[list[Address]]]


async def target(sink: str, *, allow_private: bool, resolve: Resolver | None = None) -> Target:
    """The address to POST ``sink``'s delivery to; SinkRefused if its host is not public (or does not resolve).
    ``resolve`` is the machine's resolver unless a test passes its own."""
    try:
        url = httpx.URL(sink)
    except httpx.InvalidURL as exc:  # not an httpx.HTTPError: left alone it would escape the delivery's handling
        raise SinkRefused(f"refused: the sink is not a URL that can be sent to ({exc}); nothing was sent") from None
    if allow_private:
        return Target(url)
    host = url.raw_host.decode("ascii")  # an internationalised name in its IDNA (xn--) form, as DNS and TLS use it
    if not public_host(host):
        raise SinkRefused(f"refused: {host} is not a public address; nothing was sent")
    if address_of(host.rstrip(".")) is not None:
        return Target(url)  # a public address, written out: no lookup, so nothing to pin
    addresses = await (resolve or _resolved)(host, url.port or _default_port(url))
    if not all(public(a) for a in addresses):
        # The address is not named: the partner reads this back in its deliveries (and a pause's reason, kept in
        # an event), and naming it would let the partner ask the county's resolver what its internal names are.
        raise SinkRefused(f"refused: {host} resolves to a private or reserved address, not a public address; "
                          "nothing was sent")
    return pinned(url, addresses[0])


def pinned(url: httpx.URL, address: Address) -> Target:
    """``url``, a host name's, sent to ``address``: the connection goes there, the name stays the request's."""
    name = url.raw_host.decode("ascii")
    extensions = {"sni_hostname": name} if url.scheme == "https" else {}
    return Target(url.copy_with(host=str(address)), {"host": url.netloc.decode("ascii")}, extensions)


async def _resolved(host: str, port: int) -> list[Address]:
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise SinkRefused(f"{host} does not resolve ({exc})") from None
    addresses: list[Address] = []
    for *_, sockaddr in found:
        address = address_of(str(sockaddr[0]).split("%", 1)[0])
        if address is not None and address not in addresses:
            addresses.append(address)
    if not addresses:
        raise SinkRefused(f"{host} resolves to no address")
    return addresses


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80
