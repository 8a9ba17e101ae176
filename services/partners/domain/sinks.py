"""Where a webhook may go: a partner's sink must be a public address, never the county's own network.

A partner chooses the URL the deliverer POSTs to, and reads back each attempt's status or error. A sink on
loopback, a private network or the cloud's metadata address would turn the deliverer into the partner's probe
inside the county's network (server-side request forgery). Two checks keep it out, with one rule (``public``):

- when a subscription is created or changed (``check_webhook_url``, here, pure): a host written as an address,
  in any form a resolver reads as one (``127.1``, ``2130706433``, ``0x7f000001``, a trailing dot, an IPv4
  address inside IPv6), must be public;
- before each delivery (services/partners/sink_address.py): every address the host name resolves to must be
  public, and the POST goes to the address that was checked, so a name that resolves elsewhere a moment later
  (DNS rebinding) changes nothing.

Both must read the same host from the URL, and the deliverer reads it with httpx, which reads hosts differently
from ``urllib.parse`` (it splits an internationalised name at the ideographic full stops too: ``127。0。0。1`` is
127.0.0.1 to it, a name to urllib). So the creation check is handed the host as httpx reads it
(``read_host``: services/partners/sink_address.py ``url_host``, at the edge, since a domain module does not
import httpx), and the rule here judges that host.

"Public" is written out here from the IANA special-purpose registries rather than taken from ``ipaddress``'s
``is_global``, whose tables change between Python patch releases (3.11.7's calls 6to4, NAT64's local-use prefix and
site-local IPv6 global). Development allows any sink: its receivers run on the same machine.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from services.pure.errors import DomainError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Names that mean this machine or a local network whatever a resolver says.
_LOCAL_NAMES = ("localhost",)
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


# --------------------------------------------------------------------------------------------------- the rule

def _networks(*blocks: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(block) for block in blocks)


#: IPv4 destinations that are not the public Internet: every block of IANA's IPv4 Special-Purpose Address Registry
#: (iana.org/assignments/iana-ipv4-special-registry) and multicast. The registry calls a few of them globally
#: reachable — the anycast services PCP and TURN (192.0.0.9, .10), AS112 and AMT: an anycast address is answered by
#: the nearest instance, by design often one the local network runs, and no partner's receiver lives there.
_IPV4_REFUSED = _networks(
    "0.0.0.0/8",        # "this network" (RFC 791)
    "10.0.0.0/8",       # private (RFC 1918)
    "100.64.0.0/10",    # shared address space, carrier-grade NAT (RFC 6598)
    "127.0.0.0/8",      # loopback (RFC 1122)
    "169.254.0.0/16",   # link-local, with the cloud metadata address (RFC 3927)
    "172.16.0.0/12",    # private (RFC 1918)
    "192.0.0.0/24",     # IETF protocol assignments (RFC 6890): DS-Lite, NAT64 discovery, PCP and TURN anycast
    "192.0.2.0/24",     # documentation (RFC 5737)
    "192.31.196.0/24",  # AS112 anycast (RFC 7535)
    "192.52.193.0/24",  # AMT anycast (RFC 7450)
    "192.88.99.0/24",   # 6to4 relay anycast, deprecated (RFC 7526)
    "192.168.0.0/16",   # private (RFC 1918)
    "192.175.48.0/24",  # AS112 direct delegation (RFC 7534)
    "198.18.0.0/15",    # benchmarking (RFC 2544)
    "198.51.100.0/24",  # documentation (RFC 5737)
    "203.0.113.0/24",   # documentation (RFC 5737)
    "224.0.0.0/4",      # multicast (RFC 5771)
    "240.0.0.0/4",      # reserved, and the limited broadcast 255.255.255.255 (RFC 1112, RFC 919)
)
#: IANA allocates unicast addresses from 2000::/3 only (RFC 4291 §2.4, iana.org/assignments/ipv6-address-space);
#: everything else is loopback, unspecified, IPv4-compatible (::/96, deprecated), local-use NAT64, discard,
#: SRv6 SIDs, unique-local, link-local, site-local (fec0::/10, deprecated), multicast or unassigned.
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
#: The blocks of IANA's IPv6 Special-Purpose Address Registry (iana.org/assignments/iana-ipv6-special-registry)
#: inside 2000::/3. 2001::/23 is refused whole: its few blocks marked globally reachable are anycast services
#: (PCP, TURN, DNS-SD SRP at 2001:1::1-3, AMT, AS112: answered by the nearest instance, often the local network's)
#: and host identifiers (ORCHIDv2, DETs) — none is where a partner's receiver lives.
_IPV6_REFUSED = _networks(
    "2001::/23",          # IETF protocol assignments (RFC 2928), with Teredo 2001::/32 (RFC 4380)
    "2001:db8::/32",      # documentation (RFC 3849)
    "2002::/16",          # 6to4 (RFC 3056), deprecated (RFC 7526)
    "2620:4f:8000::/48",  # AS112 direct delegation anycast (RFC 7534)
    "3fff::/20",          # documentation (RFC 9637)
)
#: The two forms whose IPv4 address is where the packet goes, so they are judged as that address: IPv4-mapped (the
#: socket API's own spelling of an IPv4 destination, RFC 4291 §2.5.5.2) and NAT64's well-known prefix (RFC 6052,
#: which forbids it for non-global IPv4 addresses; a DNS64 resolver answers every IPv4-only name with it).
#: The other forms that carry an IPv4 address are refused above, not judged by it: where their packets go depends
#: on a relay or a prefix length the local network chose — 6to4 and Teredo relays, the local-use NAT64 prefix
#: 64:ff9b:1::/48 (RFC 8215) and the deprecated IPv4-compatible ::/96 — so the IPv4 address proves nothing.
_CARRY_IPV4 = _networks("::ffff:0:0/96", "64:ff9b::/96")


def public(address: Address) -> bool:
    """Whether a connection to ``address`` leaves the county's networks for the public Internet: the rule both
    checks apply, to a host written as an address and to every address a host name resolves to."""
    if isinstance(address, ipaddress.IPv4Address):
        return not any(address in block for block in _IPV4_REFUSED)
    if any(address in block for block in _CARRY_IPV4):
        return public(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
    return address in _GLOBAL_UNICAST and not any(address in block for block in _IPV6_REFUSED)


# --------------------------------------------------------------------------------------------- the URL's host

def check_webhook_url(sink: str, *, read_host: Callable[[str], str], allow_private: bool) -> str:
    """``sink`` if it is a URL the deliverer may POST to, else the DomainError that says what to fix. ``read_host``
    gives the URL's host as the deliverer reads it (its IDNA form), or raises the DomainError of a URL it cannot
    send to."""
    host = read_host(sink)
    if not allow_private and not public_host(host):
        raise DomainError("sink: a webhook must reach a public address, not loopback, a private network or a "
                          "reserved one")
    return sink


# ------------------------------------------------------------------------------------------ hosts and addresses

def public_host(host: str) -> bool:
    """Whether ``host`` (a URL's host as ``sink_host`` or httpx reads it, without brackets) may be a sink as
    written: a public address, or a name that is not a local one (its addresses are checked when it is resolved,
    at each delivery)."""
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
