"""A webhook sink must be a public address (services/partners/domain/sinks.py): every way of writing loopback, a
private network or a reserved address is refused, whatever form a resolver would still read it in."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.partners.domain.sinks import address_of, public, public_host
from services.partners.sink_address import check_sink
from services.pure.errors import DomainError

LOOPBACK_FORMS = [
    "127.0.0.1", "127.1", "127.0.1", "2130706433", "0x7f000001", "0x7f.1", "0177.1", "017700000001",
    "127.0.0.1.", "127.255.255.254", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[64:ff9b::7f00:1]",
    "LOCALHOST", "localhost.", "api.localhost", "printer.local", "db.internal",
]
NOT_PUBLIC = [
    "10.0.0.1", "10.1", "172.16.0.1", "192.168.1.1", "3232235777",  # private (the last is 192.168.1.1)
    "169.254.169.254", "0xa9fea9fe",  # the cloud metadata address
    "100.64.0.1", "0.0.0.0", "0", "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "224.0.0.1",
    "[fd00::1]", "[fe80::1]", "[::]", "[2001:db8::1]", "[ff02::1]", "[::ffff:10.0.0.1]",
]
PUBLIC = ["8.8.8.8", "134744072", "1.1.1.1", "[2001:4860:4860::8888]", "[::ffff:8.8.8.8]", "partner.example",
          "hooks.partner.example.", "xn--fiqs8s.example"]


@pytest.mark.parametrize("host", LOOPBACK_FORMS + NOT_PUBLIC)
def test_a_sink_that_is_not_public_is_refused_outside_development(host: str) -> None:
    with pytest.raises(DomainError, match="public address"):
        check_sink(f"http://{host}:8101/hook", allow_private=False)
    assert check_sink(f"http://{host}:8101/hook", allow_private=True)  # development: its own receivers


def test_a_dotted_quad_with_leading_zeros_is_no_sink_even_in_development() -> None:
    # A resolver reads 0177.0.0.1 as octal, 127.0.0.1; httpx, which sends the deliveries, refuses to read it at all.
    for allow_private in (False, True):
        with pytest.raises(DomainError, match="Invalid IPv4 address"):
            check_sink("http://0177.0.0.1:8101/hook", allow_private=allow_private)
    assert public_host("0177.0.0.1") is False


@pytest.mark.parametrize("host", PUBLIC)
def test_a_public_address_or_a_name_is_a_sink(host: str) -> None:
    assert check_sink(f"https://{host}/hook", allow_private=False) == f"https://{host}/hook"


@pytest.mark.parametrize(("sink", "says"), [
    ("http://partner.example:99999/hook", "port"), ("http://partner.example:port/hook", "port"),
    ("ftp://partner.example/hook", "http"), ("https://u:p@partner.example/", "credentials"),
])
def test_a_sink_that_is_not_a_usable_url_says_what_to_fix(sink: str, says: str) -> None:
    with pytest.raises(DomainError, match=says):
        check_sink(sink, allow_private=True)


def _forms(n: int) -> list[str]:
    """``n`` as IPv4 in the forms inet_aton (and so a resolver) reads: dotted, one number, hex, octal, a/b.c."""
    a, b, c, d = n.to_bytes(4, "big")
    return [f"{a}.{b}.{c}.{d}", str(n), hex(n), f"0{n:o}", f"{a}.{b}.{(c << 8) | d}", f"{a}.{(b << 16) | (c << 8) | d}",
            f"{a:#x}.0{b:o}.{c}.{d}", f"{a}.{b}.{c}.{d}."]


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_form_of_an_ipv4_address_is_judged_as_the_address_itself(n: int) -> None:
    expected = public(ipaddress.IPv4Address(n))
    for form in _forms(n):
        assert public_host(form) is expected, form


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_an_ipv4_address_inside_ipv6_is_judged_as_the_ipv4_address(n: int) -> None:
    inner = ipaddress.IPv4Address(n)
    if public(inner):
        return  # whether the IPv6 form is public depends on the IPv6 prefix too; only the refusals carry over
    for outer in (f"::ffff:{inner}", f"64:ff9b::{inner}"):
        assert public(ipaddress.IPv6Address(outer)) is False, outer


def test_a_name_is_not_an_address() -> None:
    assert address_of("partner.example") is None
    assert address_of("1.2.3.4.5") is None
    assert address_of("0x7f000001") == ipaddress.IPv4Address("127.0.0.1")
