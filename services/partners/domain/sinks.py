"""Where a webhook may go: a partner's sink must be a public address, never the county's own network.

A partner chooses the URL the deliverer POSTs to, and reads back each attempt's status or error. A sink on
loopback, a private network or the cloud's metadata address would turn the deliverer into the partner's probe
inside the county's network (server-side request forgery). Two checks keep it out:

- when a subscription is created or changed (``check_webhook_url``, here, pure): a host written as an address,
  in any form a resolver reads as one (``127.1``, ``2130706433``, ``0x7f000001``, a trailing dot, an IPv4
  address inside IPv6), must be public;
- before each delivery (services/partners/webhook_delivery.py): every address the host name resolves to must be
  public, and the POST goes to the address that was checked, so a name that resolves elsewhere a moment later
  (DNS rebinding) changes nothing.

"Public" is ``ipaddress``'s ``is_global`` (the IANA special-purpose registries: private, loopback, link-local,
shared, reserved, documentation … are not), without multicast, for the address itself and for an IPv4 address
carried inside an IPv6 one (mapped, or NAT64's well-known prefix). Development allows any sink: its receivers
run on the same machine.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from services.pure.errors import DomainError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Names that mean this machine or a local network whatever a resolver says.
_LOCAL_NAMES = ("localhost",)
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
#: RFC 6052's well-known prefix: a NAT64 gateway carries the IPv4 address in the last 32 bits.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def check_webhook_url(sink: str, *, allow_private: bool) -> str:
    """``sink`` if it is a URL the deliverer may POST to, else the DomainError that says what to fix."""
    parts = urlsplit(sink)
    try:
        hostname, _ = parts.hostname, parts.port  # a port that is not a number raises here
    except ValueError:
        raise DomainError("sink: the port must be a number from 0 to 65535") from None
    if parts.scheme not in ("http", "https") or not hostname or len(sink) > 2000:
        raise DomainError("sink: an http(s) URL of at most 2000 characters")
    if parts.username or parts.password:
        raise DomainError("sink: no credentials in the URL; webhooks are signed (webhook-signature)")
    if not allow_private and not public_host(hostname):
        raise DomainError("sink: a webhook must reach a public address, not loopback, a private network or a "
                          "reserved one")
    return sink


def public_host(host: str) -> bool:
    """Whether ``host`` (a URL's host, without brackets) may be a sink as written: a public address, or a name
    that is not a local one (its addresses are checked when it is resolved, at each delivery)."""
    name = host.rstrip(".").lower()
    if name in _LOCAL_NAMES or name.endswith(_LOCAL_SUFFIXES):
        return False
    address = address_of(name)
    return address is None or public(address)


def address_of(host: str) -> Address | None:
    """The address a resolver reads ``host`` as, if it is one: canonical IPv4 or IPv6, or one of the old IPv4
    forms ``inet_aton`` (and so getaddrinfo) still accepts — fewer than four parts, decimal, octal or hex."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))  # pure parsing: no lookup
    except OSError:
        return None


def public(address: Address) -> bool:
    """Whether a connection to ``address`` leaves the county's networks for the public Internet."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None)
        if carried is not None and not public(carried):
            return False
    return address.is_global and not address.is_multicast
