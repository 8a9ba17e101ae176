"""The two admin requests aiokafka lacks, checked byte by byte against Kafka's message definitions
(clients/src/main/resources/common/message/AlterUserScramCredentials{Request,Response}.json: API key
51, version 0, flexible) and the SCRAM salted password against Kafka's own ScramFormatter.hi loop."""

from __future__ import annotations

import hashlib
import hmac
import struct

import pytest

from services.kernel.kafka import (
    AlterUserScramCredentialsRequest,
    AlterUserScramCredentialsResponse_v0,
    Grant,
    acl_rows,
    scram_salted_password,
)


def _varint(n: int) -> bytes:
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def _compact(raw: bytes) -> bytes:
    return _varint(len(raw) + 1) + raw


def test_the_upsert_request_is_version_0_flexible_with_the_fields_in_the_spec_order() -> None:
    request = AlterUserScramCredentialsRequest([("partner-a", 2, 4096, b"salt", b"salted", {})])
    built = request.prepare({51: (0, 0)})
    assert (built.API_KEY, built.API_VERSION, built.FLEXIBLE_VERSION) == (51, 0, True)
    expected = (
        _varint(0 + 1)  # Deletions: empty compact array
        + _varint(1 + 1)  # Upsertions: one
        + _compact(b"partner-a") + struct.pack(">b", 2) + struct.pack(">i", 4096)
        + _compact(b"salt") + _compact(b"salted") + b"\x00"  # the upsertion's tagged fields
        + b"\x00"  # the request's tagged fields
    )
    assert built.encode() == expected
    # Flexible requests use header v2: client id as a (non-compact) string, then tagged fields.
    header = built.build_request_header(correlation_id=7, client_id="c").encode()
    assert header == struct.pack(">hhih", 51, 0, 7, 1) + b"c" + b"\x00"


def test_a_version_the_broker_lacks_is_refused_before_sending() -> None:
    from aiokafka.errors import IncompatibleBrokerVersion

    with pytest.raises(IncompatibleBrokerVersion):
        AlterUserScramCredentialsRequest([]).prepare({})


def test_the_response_decodes_each_users_error_and_a_null_message() -> None:
    raw = (
        struct.pack(">i", 0)  # ThrottleTimeMs
        + _varint(2 + 1)
        + _compact(b"partner-a") + struct.pack(">h", 0) + _varint(0) + b"\x00"  # null ErrorMessage
        + _compact(b"partner-b") + struct.pack(">h", 68) + _compact(b"Too few iterations") + b"\x00"
        + b"\x00"
    )
    response = AlterUserScramCredentialsResponse_v0.decode(raw)
    assert response.throttle_time_ms == 0
    assert [r[:3] for r in response.results] == [("partner-a", 0, None), ("partner-b", 68, "Too few iterations")]


def _kafka_hi(password: bytes, salt: bytes, iterations: int) -> bytes:
    """ScramFormatter.hi as Kafka writes it: U1 = HMAC(p, salt + INT(1)), Ui = HMAC(p, Ui-1), XOR of all."""
    u = hmac.new(password, salt + b"\x00\x00\x00\x01", hashlib.sha512).digest()
    result = bytearray(u)
    for _ in range(2, iterations + 1):
        u = hmac.new(password, u, hashlib.sha512).digest()
        result = bytearray(a ^ b for a, b in zip(result, u, strict=True))
    return bytes(result)


def test_the_salted_password_is_kafkas_hi_for_sha_512() -> None:
    salted = scram_salted_password("pässword", b"some-salt", 4096)
    assert len(salted) == 64
    assert salted == _kafka_hi("pässword".encode(), b"some-salt", 4096)


def test_acl_rows_allow_each_operation_of_each_grant_from_any_host() -> None:
    rows = acl_rows({"p": (Grant("topic", "t", ("READ", "DESCRIBE")), Grant("group", "g.", ("READ",), "prefixed"))})
    assert rows == [(2, "t", 3, "User:p", "*", 3, 3), (2, "t", 3, "User:p", "*", 8, 3),
                    (3, "g.", 4, "User:p", "*", 3, 3)]
