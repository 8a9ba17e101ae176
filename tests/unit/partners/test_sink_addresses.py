"""Both checks of a webhook sink — when the subscription is made (services/partners/domain/sinks.py) and before each
delivery (services/partners/sink_address.py) — read the same host from the URL and judge its addresses by one rule:
IPv4 outside IANA's special-purpose blocks; IPv6 in global unicast 2000::/3 outside its special-purpose blocks; an
IPv4-mapped or NAT64 (64:ff9b::/96) address as the IPv4 address it carries; the other forms that carry an IPv4
address (6to4, Teredo, local-use NAT64, IPv4-compatible) refused. No network: the resolver is a fake."""

from __future__ import annotations

import asyncio
import ipaddress

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.partners.domain.sinks import Address, address_of, public, public_host
from services.partners.sink_address import Resolver, SinkRefused, Target, check_sink, target, url_host
from services.pure.errors import DomainError

#: The review of 2026-12-02: Python 3.11.7's is_global calls these global. 10.0.0.5 sits inside the first three.
REVIEWED = ["64:ff9b:1::a00:5", "2002:a00:5::1", "::a00:5", "fec0::1"]
#: Every other kind of IPv6 address that is not the public Internet.
NOT_PUBLIC_IPV6 = [
    "::1", "::", "::ffff:10.0.0.5", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:5",
    "64:ff9b::7f00:1", "64:ff9b:1:ffff::808:808", "::ffff:0:a00:5", "100::1", "5f00::1", "fc00::1", "fd12:3456::1",
    "fe80::1", "fec0::a00:5", "ff02::1", "ff0e::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo (RFC 4380's example)
    "2001:0:a00:5::1", "2001:1::1", "2001:1::2", "2001:1::3", "2001:2::1", "2001:3::1", "2001:4:112::1",
    "2001:10::1", "2001:20::1", "2001:30::1", "2001:db8::1", "2001:db8:ffff::a00:5", "2002:808:808::1",
    "2002:7f00:1::1", "2620:4f:8000::1", "3fff::1", "3fff:fff:ffff::1", "4000::1", "1fff:ffff::1",
    "64:ff9b::1:0:0",  # past NAT64's /96: neither it nor global unicast
]
PUBLIC_ADDRESSES = [
    "2606:4700::1111", "2001:4860:4860::8888", "2001:4860:4802:32::78", "2400:3200::1", "240e:1::1",
    "2620:fe::fe", "64:ff9b::5db8:d822", "::ffff:93.184.216.34", "93.184.216.34", "8.8.8.8", "114.114.114.114",
    "223.5.5.5", "1.1.1.1",
]
#: Just outside the refused blocks: the blocks end where the registries say.
EDGES = ["2000::1", "2001:200::1", "2001:db7:ffff::1", "2001:db9::1", "2003::1", "2620:4f:7fff:ffff::1",
         "2620:4f:8001::1", "3fff:1000::1", "3fff:ffff::1", "1.0.0.1", "9.255.255.255", "11.0.0.0",
         "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "192.0.1.0", "192.88.98.255",
         "192.169.0.0", "198.17.255.255", "198.20.0.0", "223.255.255.255"]
NOT_PUBLIC_IPV4 = [
    "0.0.0.0", "10.0.0.5", "100.64.0.1", "127.0.0.1", "169.254.169.254", "172.16.0.1", "192.0.0.8", "192.0.0.9",
    "192.0.0.171", "192.0.2.1", "192.31.196.1", "192.52.193.1", "192.88.99.1", "192.168.1.1", "192.175.48.1",
    "198.18.0.1", "198.51.100.1", "203.0.113.1", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
]
#: Full stops idna (and so httpx) splits a name at, which urllib.parse does not.
FULL_STOPS = ["\u3002", "\uff0e", "\uff61"]


def _url(address: str) -> str:
    return f"http://[{address}]:18060/hook" if ":" in address else f"http://{address}:18060/hook"


def _resolving_to(*addresses: str) -> Resolver:
    """A resolver that answers every name with ``addresses`` — as a rebinding name would, at delivery time."""
    async def resolve(host: str, port: int) -> list[Address]:
        return [ipaddress.ip_address(a) for a in addresses]
    return resolve


def _refused_at_creation(sink: str) -> bool:
    try:
        check_sink(sink, allow_private=False)
    except DomainError:
        return True
    return False


def _refused_at_delivery(sink: str, *addresses: str) -> bool:
    try:
        asyncio.run(target(sink, allow_private=False, resolve=_resolving_to(*addresses or ("93.184.216.34",))))
    except SinkRefused:
        return True
    return False


# ----------------------------------------------------------------------------------------- IPv6 and embeddings

@pytest.mark.parametrize("address", REVIEWED + NOT_PUBLIC_IPV6 + NOT_PUBLIC_IPV4)
def test_a_sink_written_as_an_address_that_is_not_public_is_refused_at_creation(address: str) -> None:
    with pytest.raises(DomainError, match="public address"):
        check_sink(_url(address), allow_private=False)


@pytest.mark.parametrize("address", REVIEWED + NOT_PUBLIC_IPV6 + NOT_PUBLIC_IPV4)
async def test_a_sink_written_as_an_address_that_is_not_public_gets_nothing_at_delivery(address: str) -> None:
    with pytest.raises(SinkRefused, match="not a public address; nothing was sent"):
        await target(_url(address), allow_private=False, resolve=_resolving_to("93.184.216.34"))


@pytest.mark.parametrize("address", REVIEWED + NOT_PUBLIC_IPV6 + NOT_PUBLIC_IPV4)
async def test_a_name_that_resolves_to_an_address_that_is_not_public_gets_nothing(address: str) -> None:
    for answer in ((address,), ("93.184.216.34", address), (address, "2606:4700::1111")):
        with pytest.raises(SinkRefused, match=r"hooks\.partner\.example resolves to .* not a public address"):
            await target("https://hooks.partner.example/hook", allow_private=False, resolve=_resolving_to(*answer))


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES + EDGES)
async def test_a_public_address_is_a_sink_at_creation_and_at_delivery(address: str) -> None:
    assert check_sink(_url(address), allow_private=False) == _url(address)
    written = await target(_url(address), allow_private=False, resolve=_resolving_to("10.0.0.5"))
    assert written == Target(httpx.URL(_url(address)))  # sent as written: no lookup
    to = await target("https://hooks.partner.example/in", allow_private=False, resolve=_resolving_to(address))
    assert ipaddress.ip_address(to.url.host) == ipaddress.ip_address(address)
    assert to.headers == {"host": "hooks.partner.example"}


@pytest.mark.parametrize("address", [*REVIEWED, "127.0.0.1", "::1", "10.0.0.5"])
async def test_in_development_loopback_and_private_sinks_are_allowed(address: str) -> None:
    assert check_sink(_url(address), allow_private=True) == _url(address)
    assert await target(_url(address), allow_private=True) == Target(httpx.URL(_url(address)))


_V4 = st.integers(min_value=0, max_value=2**32 - 1).map(ipaddress.IPv4Address)
_V6 = st.integers(min_value=0, max_value=2**128 - 1).map(ipaddress.IPv6Address)


def _inside(block: str) -> st.SearchStrategy[ipaddress.IPv6Address]:
    network = ipaddress.IPv6Network(block)
    return st.integers(min_value=0, max_value=network.num_addresses - 1).map(
        lambda n: network.network_address + n)


@given(st.one_of(*(_inside(block) for block in (
    "::/96", "::ffff:0:0:0/96", "64:ff9b:1::/48", "100::/8", "200::/7", "400::/6", "800::/5", "1000::/4",
    "2001::/23", "2001::/32", "2001:db8::/32", "2002::/16", "2620:4f:8000::/48", "3fff::/20", "4000::/2",
    "5f00::/16", "8000::/1", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8"))))
def test_no_address_of_a_special_purpose_block_is_public_whatever_it_carries(address: ipaddress.IPv6Address) -> None:
    assert public(address) is False


@given(_V4)
def test_an_ipv4_address_carried_by_6to4_teredo_local_nat64_or_the_compatible_form_is_refused_whatever_it_is(
        inner: ipaddress.IPv4Address) -> None:
    n = int(inner)
    for outer in (0x2002 << 112 | n << 80 | 1, 0x2001_0000 << 96 | n << 64 | 1, 0x2001_0000 << 96 | (n ^ 0xFFFF_FFFF),
                  0x0064_FF9B_0001 << 80 | n, n):
        assert public(ipaddress.IPv6Address(outer)) is False, ipaddress.IPv6Address(outer)


@given(_V4)
def test_an_ipv4_mapped_or_nat64_address_is_judged_as_the_ipv4_address_it_carries(
        inner: ipaddress.IPv4Address) -> None:
    for outer in (f"::ffff:{inner}", f"64:ff9b::{inner}"):
        assert public(ipaddress.IPv6Address(outer)) is public(inner), outer
        assert _refused_at_creation(_url(outer)) is not public(inner), outer


@given(st.one_of(_V4, _V6))
def test_the_rule_is_never_looser_than_pythons_own_tables(address: Address) -> None:
    # Python's is_global changes between patch releases (3.11.7 calls 2002::/16 global, 3.12.4 does not): the
    # rule is written out instead, and is at least as strict — except where it judges an IPv4-mapped address by
    # the IPv4 address it is, which is where the connection goes.
    if public(address):
        judged = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped else address
        assert judged.is_global and not judged.is_multicast, address
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
            assert address in ipaddress.IPv6Network("2000::/3") or address in ipaddress.IPv6Network("64:ff9b::/96")


# ---------------------------------------------------------------------- one host, read the same by both checks

@pytest.mark.parametrize("dot", FULL_STOPS)
@pytest.mark.parametrize("host", ["127.0.0.1", "127.1", "10.0.0.5", "169.254.169.254", "localhost", "db.internal"])
def test_a_host_written_with_ideographic_full_stops_is_refused_at_creation_and_at_delivery(dot: str, host: str) -> None:
    sink = f"http://{host.replace('.', dot)}:18060/hook"
    assert url_host(sink) == host
    with pytest.raises(DomainError, match="public address"):
        check_sink(sink, allow_private=False)
    assert _refused_at_delivery(sink)


@pytest.mark.parametrize("sink", [
    "http://0177.0.0.1/hook", "http://1.2.3.256/hook", "http://[::1/hook", "http://[fe80::1]x/hook",
    "http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/hook", "http://\uff11\uff12\uff17.0.0.1/hook",
    "http://127.0.0.1\t/hook", "http://例_.example/hook",
    "http://\u0661\u0662\u0667.example/hook", "http://ab--例.example/hook", "http://例子。。example/hook",
])
def test_a_url_the_deliverer_cannot_send_to_is_refused_at_creation_even_in_development(sink: str) -> None:
    with pytest.raises(DomainError, match="sink: "):
        check_sink(sink, allow_private=True)
    with pytest.raises(httpx.InvalidURL):
        httpx.URL(sink)
    assert _refused_at_delivery(sink)  # as a SinkRefused the deliverer logs, not an exception that escapes it


@pytest.mark.parametrize("host", ["a%2e.example", "a b.example", "a!.example", "a,b.example", "a~b.example"])
def test_a_host_that_is_no_dns_name_is_refused_at_creation(host: str) -> None:
    with pytest.raises(DomainError, match=r"a name \(letters, digits"):
        check_sink(f"http://{host}/hook", allow_private=True)


@pytest.mark.parametrize(("sink", "host"), [
    ("https://例子.example/in", "xn--fsqu00a.example"), ("https://例子。example/in", "xn--fsqu00a.example"),
    ("https://Hooks.Partner.Example./in", "hooks.partner.example."),
    ("http://[2606:4700::1111]:8080/", "2606:4700::1111"),
    ("https://中国政府。政务/in", "xn--fiqs8sirgfmh.xn--zfr164b"), ("https://Straße.example/", "xn--strae-oqa.example"),
    ("http://〇.example/", "xn--w6j.example"), ("http://αβγ.例子-1.example:8443/", "xn--mxacd.xn---1-pt3ck06b.example"),
])
def test_an_internationalised_name_is_read_in_the_idna_form_the_deliverer_sends(sink: str, host: str) -> None:
    assert url_host(sink) == host
    assert check_sink(sink, allow_private=False) == sink


#: Characters that matter to one parser or the other: URL delimiters, the full stops, IDNA's exceptions and
#: contextual characters, case that folds to ASCII (K, the Kelvin sign), fullwidth forms, right-to-left, jamo.
_TRICKY = st.sampled_from(list("0123456789abcdefxAX.-_:[]@%/?# ") + FULL_STOPS + list(
    "例子中国éÉßΣςİK\u212a\u0301\u3007\u30fb\u00b7\u200d\u0627\u0661\u06f1\uff10\uff41\u2160\u1100\ufe0f"))
_LDH = st.sampled_from("0123456789abcdefx-")
_LETTERS = st.characters(whitelist_categories=("Ll", "Lo", "Nd"))
_LABEL = st.text(st.one_of(_LDH, _LETTERS, _LDH, _LETTERS, _TRICKY), min_size=1, max_size=6)


def _name(labels: list[str], dots: list[str], trailing: str) -> str:
    return "".join(label + dot for label, dot in zip(labels, [*dots[:len(labels) - 1], trailing], strict=True))


#: Hosts: any text; numbers (addresses to a resolver, some of them) and names of labels, each joined by any of the
#: full stops (many of them valid for both parsers).
_HOSTS = st.one_of(
    st.text(st.one_of(_TRICKY, st.characters(blacklist_categories=("Cs",))), min_size=1, max_size=24),
    st.text(st.sampled_from(["0", "1", "2", "7", "9", "x", "f", ".", *FULL_STOPS]), min_size=1, max_size=16),
    st.builds(_name, st.lists(_LABEL, min_size=1, max_size=4),
              st.lists(st.sampled_from([".", *FULL_STOPS]), min_size=3, max_size=3),
              st.sampled_from(["", ".", "\u3002"])),
)


@settings(max_examples=1000)
@given(_HOSTS)
def test_where_the_check_at_creation_accepts_a_host_httpx_reads_the_same_host(written: str) -> None:
    sink = f"http://{written}:18060/hook"
    try:
        host = url_host(sink)
    except DomainError:
        return  # refused at creation: nothing will be delivered
    assert httpx.URL(sink).raw_host.decode("ascii") == host, sink
    if not _refused_at_creation(sink):
        assert not _refused_at_delivery(sink), sink  # names resolve to a public address here
    elif address_of(host.rstrip(".")) is not None:
        assert _refused_at_delivery(sink), sink  # an address refused at creation is refused at delivery


@given(st.one_of(_V4, _V6), st.sampled_from([".", *FULL_STOPS]))
def test_both_checks_judge_an_address_written_in_a_url_the_same(address: Address, dot: str) -> None:
    written = f"[{address}]" if address.version == 6 else str(address).replace(".", dot)
    sink = f"http://{written}/hook"
    assert _refused_at_creation(sink) is _refused_at_delivery(sink) is not public(address)
    assert public_host(url_host(sink)) is public(address)
